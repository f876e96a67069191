import ModemProtocol

/// Moving data over links: `AT+CIPSEND`, `AT+CIPQSEND`, `AT+CIPRXGET`, `AT+CIPHEAD`,
/// `AT+CIPSRIP`, `AT+CIPSPRT` (SIM800 manual §8.2.3, §8.2.13–8.2.18, §8.2.26), and the data
/// the network delivers.
extension Modem {
    /// Most bytes one `AT+CIPRXGET=2` returns (manual: 1460; 730 for the hex form `=3`).
    static let maximumReadLength = 1460

    mutating func executeData(_ command: ATCommand) -> CommandOutcome? {
        switch command.name {
        case "+CIPSEND": return cipsend(command)
        case "+CIPQSEND":
            return flagSetting(command, range: 0...1, current: settings.quickSend ? 1 : 0) {
                $0.settings.quickSend = $1 == 1
            }
        case "+CIPHEAD":
            return flagSetting(command, range: 0...1, current: settings.receiveHeader ? 1 : 0) {
                $0.settings.receiveHeader = $1 == 1
            }
        case "+CIPSRIP":
            return flagSetting(command, range: 0...1, current: settings.showRemoteAddress ? 1 : 0) {
                $0.settings.showRemoteAddress = $1 == 1
            }
        case "+CIPSPRT":
            return flagSetting(command, range: 0...2, current: settings.sendPrompt) { $0.settings.sendPrompt = $1 }
        case "+CIPRXGET": return ciprxget(command)
        default: return nil
        }
    }

    // MARK: AT+CIPSEND

    private mutating func cipsend(_ command: ATCommand) -> CommandOutcome {
        let multi = settings.multiConnection
        let maximum = configuration.maximumSendLength
        var number = 0
        var length: Int?
        switch command.form {
        case .test:
            info(multi ? "+CIPSEND: (0-5),(1-\(maximum))" : "+CIPSEND: (1-\(maximum))")
            return .ok
        case .read:
            // The size one send may have now: what the link's send buffer has room for.
            if multi {
                for n in 0..<Self.linkCount { info("+CIPSEND: \(n),\(sendRoom(n))") }
            } else {
                info("+CIPSEND: \(sendRoom(0))")
            }
            return .ok
        case .execute:
            guard !multi else { return .error(nil) }
        case .write(let arguments):
            if multi {
                guard (1...2).contains(arguments.count), let n = command.integer(0, in: 0...(Self.linkCount - 1)) else {
                    return .error(nil)
                }
                number = n
                if arguments.count == 2 {
                    guard let l = command.integer(1, in: 1...maximum) else { return .error(nil) }
                    length = l
                }
            } else {
                guard let l = command.singleInteger(in: 1...maximum) else { return .error(nil) }
                length = l
            }
        }
        guard links[number]?.phase == .connected, !settings.transparent else { return .error(nil) }
        if settings.sendPrompt == 1 {
            if settings.formatter.verbose { outbox.bytes.append(contentsOf: [0x0D, 0x0A]) }
            outbox.bytes.append(contentsOf: [0x3E, 0x20])
        }
        activity = .sending(link: number)
        reader.beginData(length.map { .dataFixed(length: $0) } ?? .dataUntilCtrlZ(maximum: maximum))
        return .waiting
    }

    /// How many bytes one send on link `number` may have now (`AT+CIPSEND?`).
    private func sendRoom(_ number: Int) -> Int {
        guard let link = links[number], link.phase == .connected else { return 0 }
        return max(0, min(configuration.maximumSendLength, configuration.sendBufferLimit - link.unsent))
    }

    /// The data of `AT+CIPSEND` arrived. It enters the link's send buffer when there is room, else
    /// it waits for room. `DATA ACCEPT` (quick send) follows as soon as the buffer took it; `SEND OK`
    /// once the network has taken it; `SEND FAIL` when the link closed meanwhile, or when the
    /// network took nothing for the send timeout (then the link closes).
    mutating func dataReceived(_ data: [UInt8]) {
        guard case .sending(let number) = activity else { return }
        guard !data.isEmpty else {
            complete(with: .error(nil))
            return
        }
        guard let link = links[number], link.phase == .connected else {
            complete(with: .final(prefixed(number, "SEND FAIL")))
            return
        }
        if link.unsent + data.count <= configuration.sendBufferLimit {
            buffer(data, on: number, timerRunning: false)
        } else {
            act(.startTimer(.send(link.id), after: configuration.timeouts.send))
            activity = .awaitingSendRoom(link: number, connection: link.id, data: data)
        }
    }

    /// Puts a send's data into the link's send buffer; the send timer runs while the send waits.
    private mutating func buffer(_ data: [UInt8], on number: Int, timerRunning: Bool) {
        let id = links[number]!.id
        transmit(data, on: number)
        if settings.quickSend {
            if timerRunning { act(.cancelTimer(.send(id))) }
            let text = settings.multiConnection ? "DATA ACCEPT:\(number),\(data.count)" : "DATA ACCEPT:\(data.count)"
            complete(with: .final(text))
        } else {
            if !timerRunning { act(.startTimer(.send(id), after: configuration.timeouts.send)) }
            activity = .awaitingSent(link: number, connection: id, through: links[number]!.queuedTotal)
        }
    }

    /// Hands bytes to the runtime for link `number`'s socket; they count against its send buffer
    /// until the runtime reports them sent.
    mutating func transmit(_ data: [UInt8], on number: Int) {
        guard let link = links[number] else { return }
        links[number]!.queuedTotal += UInt64(data.count)
        act(.send(link.id, data))
    }

    /// The network took `count` more bytes of a link's data: a send waiting on it completes or
    /// finds room.
    mutating func sent(_ count: Int, on connection: ConnectionID) {
        guard let (number, link) = link(of: connection), count > 0 else { return }
        links[number]!.sentTotal = min(link.queuedTotal, link.sentTotal + UInt64(count))
        switch activity {
        case .awaitingSent(number, connection, let through) where links[number]!.sentTotal >= through:
            act(.cancelTimer(.send(connection)))
            complete(with: settings.sendPrompt == 2 ? .noResult : .final(prefixed(number, "SEND OK")))
        case .awaitingSendRoom(number, connection, let data)
        where links[number]!.unsent + data.count <= configuration.sendBufferLimit:
            buffer(data, on: number, timerRunning: true)
        default:
            break
        }
    }

    /// A send waiting on link `connection` ends in `SEND FAIL`: its link closed, or (`timedOut`)
    /// the network took nothing for the send timeout, and the module closes the link.
    mutating func sendFailed(on connection: ConnectionID, timedOut: Bool) {
        let number: Int
        switch activity {
        case .awaitingSent(let n, connection, _), .awaitingSendRoom(let n, connection, _): number = n
        default: return
        }
        act(.cancelTimer(.send(connection)))
        complete(with: .final(prefixed(number, "SEND FAIL")))
        guard timedOut, let link = links[number], link.id == connection, link.phase.isActive else { return }
        act(.close(connection, graceful: false))
        cancelTimers(of: link)
        links[number]?.phase = .closed(beforeConnect: false)
        emitURC(prefixed(number, "CLOSED"))
    }

    /// The serial line's flow control in transparent mode: the modem stops reading the host while
    /// link 0's send buffer is over its limit and reads again once half of it has drained.
    mutating func updateHostInputFlow() {
        let unsent = activity == .dataMode ? links[0]?.unsent ?? 0 : 0
        let limit = configuration.sendBufferLimit
        if !hostInputStopped, unsent > limit {
            hostInputStopped = true
            act(.stopHostInput)
        } else if hostInputStopped, unsent <= limit / 2 {
            hostInputStopped = false
            act(.resumeHostInput)
        }
    }

    /// ESC cancelled the data phase: nothing is sent and no result code follows.
    mutating func sendCancelled() {
        guard case .sending = activity else { return }
        complete(with: .noResult)
    }

    // MARK: AT+CIPRXGET

    private mutating func ciprxget(_ command: ATCommand) -> CommandOutcome {
        let multi = settings.multiConnection
        switch command.form {
        case .test:
            info(multi ? "+CIPRXGET: (0-4),(0-5),(1-1460)" : "+CIPRXGET: (0-4),(1-1460)")
            return .ok
        case .read:
            info("+CIPRXGET: \(settings.manualReceive ? 1 : 0)")
            return .ok
        case .execute:
            return .error(nil)
        case .write(let arguments):
            guard let mode = command.integer(0, in: 0...4) else { return .error(.operationNotAllowed) }
            if mode <= 1 {
                guard arguments.count == 1 else { return .error(.operationNotAllowed) }
                guard settings.manualReceive != (mode == 1) else { return .ok }
                guard links.allSatisfy({ $0?.phase.isActive != true }) else { return .error(.operationNotAllowed) }
                settings.manualReceive = mode == 1
                return .ok
            }
            guard settings.manualReceive else { return .error(.operationNotAllowed) }
            let offset = multi ? 1 : 0
            let expected = 1 + offset + (mode == 4 ? 0 : 1)
            guard arguments.count == expected else { return .error(.operationNotAllowed) }
            let number = multi ? command.integer(1, in: 0...(Self.linkCount - 1)) : 0
            guard let number, let link = links[number] else { return .error(.operationNotAllowed) }
            let prefix = multi ? "+CIPRXGET: \(mode),\(number)," : "+CIPRXGET: \(mode),"
            if mode == 4 {
                info(prefix + "\(link.unread.count)")
                return .ok
            }
            let maximum = mode == 2 ? Self.maximumReadLength : Self.maximumReadLength / 2
            guard let requested = command.integer(1 + offset, in: 1...maximum) else {
                return .error(.operationNotAllowed)
            }
            let count = min(requested, link.unread.count)
            let data = links[number]!.unread.prefix(count)
            links[number]!.unread.removeFirst(count)
            let remaining = links[number]!.unread.count
            info(prefix + "\(count),\(remaining)")
            if mode == 2 {
                outbox.bytes.append(contentsOf: data)
            } else {
                outbox.bytes.append(contentsOf: hex(data))
            }
            unreadDrained(number)
            return .ok
        }
    }

    /// After a read: a paused link reads again below half its buffer; a link whose peer closed
    /// while data was unread is closed once the data is gone.
    private mutating func unreadDrained(_ number: Int) {
        guard let link = links[number] else { return }
        if link.readingPaused, link.unread.count <= configuration.receiveBufferLimit / 2 {
            links[number]?.readingPaused = false
            if !pausedForHeldOutput.contains(link.id) { act(.resumeReading(link.id)) }
        }
        if link.phase == .remoteClosing, link.unread.isEmpty {
            links[number]?.phase = .closed(beforeConnect: false)
            emitURC(prefixed(number, "CLOSED"))
        }
    }

    // MARK: Received data

    mutating func received(_ bytes: [UInt8], on connection: ConnectionID) {
        guard let (number, link) = link(of: connection), link.phase == .connected, !bytes.isEmpty else { return }
        if activity == .dataMode {
            outbox.bytes.append(contentsOf: bytes)
            return
        }
        if settings.manualReceive {
            let limit = configuration.receiveBufferLimit
            if link.transport == .udp, link.unread.count + bytes.count > limit { return }
            let wasEmpty = link.unread.isEmpty
            links[number]!.unread.append(contentsOf: bytes)
            if wasEmpty { emitURC(settings.multiConnection ? "+CIPRXGET: 1,\(number)" : "+CIPRXGET: 1") }
            if link.transport == .tcp, links[number]!.unread.count >= limit, !link.readingPaused {
                links[number]!.readingPaused = true
                act(.pauseReading(connection))
            }
            return
        }
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = min(start + Self.maximumReadLength, bytes.endIndex)
            let chunk = bytes[start..<end]
            var header: [UInt8] = []
            if settings.showRemoteAddress {
                settings.formatter.appendLine("RECV FROM:\(link.address):\(link.port)", to: &header)
            }
            if settings.multiConnection {
                settings.formatter.appendLine("+RECEIVE,\(number),\(chunk.count):", to: &header)
            } else if settings.receiveHeader {
                header.append(contentsOf: "\r\n+IPD,\(chunk.count):".utf8)
            }
            emitUnsolicitedBytes(header + chunk, from: connection)
            start = end
        }
    }
}

/// Upper-case hex digits of `bytes`, as `AT+CIPRXGET=3` prints them.
func hex(_ bytes: some Sequence<UInt8>) -> [UInt8] {
    let digits = Array("0123456789ABCDEF".utf8)
    var result: [UInt8] = []
    for byte in bytes {
        result.append(digits[Int(byte >> 4)])
        result.append(digits[Int(byte & 0x0F)])
    }
    return result
}
