import ModemProtocol

/// Data through the links: `AT+CIPSEND` and its send buffer, received data, `AT+CIPRXGET` reads
/// and transparent mode (SIM800 manual §8.2.3, §8.2.11, §8.2.26).
extension Modem {
    /// Most bytes one `AT+CIPRXGET=2` returns (manual: 1460; 730 for the hex form `=3`).
    static let maximumReadLength = 1460

    // MARK: Sending

    /// `AT+CIPSEND` on link `number` (validated): the prompt, then the data phase, of `length`
    /// bytes or up to Ctrl-Z.
    mutating func startSend(on number: Int, length: Int?) -> CommandOutcome {
        guard links[number]?.phase == .connected, !settings.transparent else { return .error(nil) }
        if settings.sendPrompt == 1 {
            if settings.formatter.verbose { output.serial.append(contentsOf: [0x0D, 0x0A]) }
            output.serial.append(contentsOf: [0x3E, 0x20])
        }
        interpreter.wait(.sending(link: number))
        interpreter.beginData(
            length.map { .dataFixed(length: $0) } ?? .dataUntilCtrlZ(maximum: configuration.maximumSendLength))
        return .waiting
    }

    /// How many bytes one send on link `number` may have now (`AT+CIPSEND?`).
    func sendRoom(_ number: Int) -> Int {
        guard let link = links[number], link.phase == .connected else { return 0 }
        return max(0, min(configuration.maximumSendLength, configuration.sendBufferLimit - link.unsent))
    }

    /// The data of `AT+CIPSEND` arrived. It enters the link's send buffer when there is room, else
    /// it waits for room. `DATA ACCEPT` (quick send) follows as soon as the buffer took it; `SEND OK`
    /// once the network has taken it; `SEND FAIL` when the link closed meanwhile, or when the
    /// network took nothing for the send timeout (then the link closes).
    mutating func dataReceived(_ data: [UInt8]) {
        guard case .sending(let number) = interpreter.activity else { return }
        guard !data.isEmpty else {
            complete(with: .error(nil))
            return
        }
        guard let link = links[number], link.phase == .connected else {
            complete(with: .final(.sendFail(link: linkTag(number))))
            return
        }
        if link.unsent + data.count <= configuration.sendBufferLimit {
            buffer(data, on: number, timerRunning: false)
        } else {
            act(.startTimer(.send(link.id), after: configuration.timeouts.send))
            interpreter.wait(.awaitingSendRoom(link: number, connection: link.id, data: data))
        }
    }

    /// Puts a send's data into the link's send buffer; the send timer runs while the send waits.
    private mutating func buffer(_ data: [UInt8], on number: Int, timerRunning: Bool) {
        guard let id = links[number]?.id,
            let through = links.update(number, actions: &output.actions, { $0.transmit(data, actions: &$1) })
        else {
            return
        }
        if settings.quickSend {
            if timerRunning { act(.cancelTimer(.send(id))) }
            complete(with: .final(.dataAccept(link: linkTag(number), length: data.count)))
        } else {
            if !timerRunning { act(.startTimer(.send(id), after: configuration.timeouts.send)) }
            interpreter.wait(.awaitingSent(link: number, connection: id, through: through))
        }
    }

    /// The network took `count` more bytes of a link's data: a send waiting on it completes or
    /// finds room.
    mutating func sent(_ count: Int, on connection: ConnectionID) {
        guard let (number, _) = links.link(of: connection), count > 0 else { return }
        links.update(number) { $0.sent(count) }
        guard let link = links[number] else { return }
        switch interpreter.activity {
        case .awaitingSent(number, connection, let through) where link.sentTotal >= through:
            act(.cancelTimer(.send(connection)))
            complete(with: settings.sendPrompt == 2 ? .noResult : .final(.sendOK(link: linkTag(number))))
        case .awaitingSendRoom(number, connection, let data) where link.unsent + data.count <= configuration.sendBufferLimit:
            buffer(data, on: number, timerRunning: true)
        default:
            break
        }
    }

    /// A send waiting on link `connection` ends in `SEND FAIL`: its link closed, or (`timedOut`)
    /// the network took nothing for the send timeout, and the module closes the link.
    mutating func sendFailed(on connection: ConnectionID, timedOut: Bool) {
        guard let (number, waiting) = interpreter.activity.pendingSend, waiting == connection else { return }
        act(.cancelTimer(.send(connection)))
        complete(with: .final(.sendFail(link: linkTag(number))))
        guard timedOut, let link = links[number], link.id == connection, link.phase.isActive else { return }
        links.update(number, actions: &output.actions) { $0.drop(discardingUnread: false, actions: &$1) }
        emitURC(.closed(link: linkTag(number)))
    }

    /// ESC cancelled the data phase: nothing is sent and no result code follows.
    mutating func sendCancelled() {
        guard case .sending = interpreter.activity else { return }
        complete(with: .noResult)
    }

    // MARK: Receiving

    mutating func received(_ bytes: [UInt8], on connection: ConnectionID) {
        guard let (number, link) = links.link(of: connection), link.phase == .connected, !bytes.isEmpty else { return }
        if interpreter.activity == .dataMode {
            output.serial.append(contentsOf: bytes)
            return
        }
        if settings.manualReceive {
            let limit = configuration.receiveBufferLimit
            let wasEmpty = links.update(number, actions: &output.actions) { $0.keep(bytes, limit: limit, actions: &$1) }
            if wasEmpty == true { emitURC(.dataAvailable(link: linkTag(number))) }
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
            interpreter.emit(bytes: header + chunk, from: connection, to: &output, links: links)
            start = end
        }
    }

    /// `AT+CIPRXGET=2/3,[<n>,]<length>` (validated): up to `length` unread bytes of link `number`,
    /// raw (`hex` false) or as hex digits.
    mutating func readUnread(on number: Int, length: Int, hex: Bool, prefix: String) {
        guard let data = links.update(number, { $0.read(upTo: length) }) else { return }
        info(prefix + "\(data.count),\(links[number]?.unread.count ?? 0)")
        output.serial.append(contentsOf: hex ? hexDigits(data) : data)
        // A paused link reads again below half its buffer; a link whose peer closed while data was
        // unread is closed once the data is gone.
        guard let link = links[number] else { return }
        let limit = configuration.receiveBufferLimit
        if links.update(number, { $0.resumeIfDrained(limit: limit) }) == true,
            !interpreter.pausedForHeldOutput.contains(link.id)
        {
            act(.resumeReading(link.id))
        }
        if links.update(number, { $0.closeIfRead() }) == true { emitURC(.closed(link: linkTag(number))) }
    }

    // MARK: Transparent mode

    /// Starts forwarding host bytes to link 0.
    mutating func enterDataMode() {
        interpreter.enterDataMode()
        act(.startTimer(.escapeGuard, after: configuration.timeouts.escapeGuard))
    }

    /// Back to command mode; held URCs follow.
    mutating func leaveDataMode() {
        if interpreter.leaveDataMode() { act(.cancelTimer(.escapeGuard)) }
    }

    /// Host bytes in data mode: forwarded to the link, except a `+++` that may be the escape.
    mutating func dataModeInput(_ input: inout ArraySlice<UInt8>) {
        guard links[0]?.phase == .connected else {
            leaveDataMode()
            return
        }
        let data = interpreter.dataModeBytes(input)
        input = input[input.endIndex...]
        if !data.isEmpty { links.update(0, actions: &output.actions) { $0.transmit(data, actions: &$1) } }
        // Any byte restarts the guard time: a +++ needs it before, and leaves data mode after it.
        act(.startTimer(.escapeGuard, after: configuration.timeouts.escapeGuard))
    }

    mutating func escapeGuardElapsed() {
        guard interpreter.activity == .dataMode else { return }
        switch interpreter.escapeGuardElapsed() {
        case .none:
            break
        case .data(let data):
            links.update(0, actions: &output.actions) { $0.transmit(data, actions: &$1) }
            act(.startTimer(.escapeGuard, after: configuration.timeouts.escapeGuard))
        case .escape:
            leaveDataMode()
            settings.formatter.appendResult(.ok, to: &output.serial)
        }
    }
}

/// Upper-case hex digits of `bytes`, as `AT+CIPRXGET=3` prints them.
func hexDigits(_ bytes: some Sequence<UInt8>) -> [UInt8] {
    let digits = Array("0123456789ABCDEF".utf8)
    var result: [UInt8] = []
    for byte in bytes {
        result.append(digits[Int(byte >> 4)])
        result.append(digits[Int(byte & 0x0F)])
    }
    return result
}
