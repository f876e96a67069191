import ModemProtocol

/// Opening and closing links: `AT+CIPSTART`, `AT+CIPCLOSE`, `AT+CIPSERVER` (SIM800 manual
/// §8.2.2, §8.2.5, §8.2.19) and the network events that answer them.
extension Modem {
    mutating func executeConnection(_ command: ATCommand) -> CommandOutcome? {
        switch command.name {
        case "+CIPSTART": return cipstart(command)
        case "+CIPCLOSE": return cipclose(command)
        case "+CIPSERVER": return cipserver(command)
        default: return nil
        }
    }

    // MARK: AT+CIPSTART

    private mutating func cipstart(_ command: ATCommand) -> CommandOutcome {
        let multi = settings.multiConnection
        switch command.form {
        case .test:
            let mode = "(\"TCP\",\"UDP\"),(\"(0-255).(0-255).(0-255).(0-255)\"),(1-65535)"
            info(multi ? "+CIPSTART: (0-5),\(mode)" : "+CIPSTART: \(mode)")
            return .ok
        case .read, .execute:
            return .error(nil)
        case .write(let arguments):
            let offset = multi ? 1 : 0
            guard arguments.count == 3 + offset else { return .error(.operationNotAllowed) }
            let number = multi ? command.integer(0, in: 0...(Self.linkCount - 1)) : 0
            guard let number,
                let modeText = arguments[offset].text,
                let transport = TransportProtocol(rawValue: modeText.uppercased()),
                let host = arguments[offset + 1].text, !host.isEmpty, host.utf8.count <= 255,
                !host.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F }),
                let port = arguments[offset + 2].lenientInteger, (1...65535).contains(port)
            else { return .error(.operationNotAllowed) }
            return startConnection(number: number, transport: transport, host: host, port: port)
        }
    }

    private mutating func startConnection(
        number: Int, transport: TransportProtocol, host: String, port: Int
    ) -> CommandOutcome {
        if let link = links[number], link.phase.isActive {
            fail(nil)
            info(prefixed(number, "ALREADY CONNECT"))
            return .noResult
        }
        if context.stage == .deactivated {
            // Real modules answer OK, then report the state and fail (docs/research/real-logs.md, b).
            if !settings.multiConnection { emitURC("STATE: PDP DEACT") }
            emitURC(prefixed(number, "CONNECT FAIL"))
            return .ok
        }
        let awaitingContext: Bool
        switch context.stage {
        case .active(addressShown: true): awaitingContext = false
        case .initial where !settings.multiConnection: awaitingContext = true
        default: return .error(.operationNotAllowed)
        }
        if !settings.multiConnection, server != nil { return .error(.operationNotAllowed) }
        let link = Link(
            id: newConnectionID(), transport: transport, address: host, port: port, bearer: settings.bearer,
            origin: .client, phase: .connecting(awaitingContext: awaitingContext))
        links[number] = link
        if awaitingContext {
            context.apn = configuration.defaultAPN
            startActivation()
        } else {
            openSocket(for: link)
        }
        return .ok
    }

    mutating func openSocket(for link: Link) {
        act(.connect(link.id, link.transport, host: link.address, port: link.port))
        act(.startTimer(.connect(link.id), after: configuration.timeouts.connect))
    }

    /// The link number and link of a connection, if it is still one of the modem's.
    func link(of connection: ConnectionID) -> (number: Int, link: Link)? {
        for (number, link) in links.enumerated() {
            if let link, link.id == connection { return (number, link) }
        }
        return nil
    }

    mutating func connected(_ connection: ConnectionID, remoteAddress: String) {
        guard let (number, link) = link(of: connection), link.phase == .connecting(awaitingContext: false) else {
            return
        }
        act(.cancelTimer(.connect(connection)))
        links[number]?.phase = .connected
        if !remoteAddress.isEmpty { links[number]?.address = remoteAddress }
        if settings.transparent, activity.isIdle, !executingCommands {
            emitURC("CONNECT")
            enterDataMode()
        } else {
            emitURC(prefixed(number, "CONNECT OK"))
        }
    }

    /// The attempt failed (refused, unreachable, timed out): `STATE: TCP CLOSED` and `CONNECT FAIL`
    /// in single mode, `<n>, CONNECT FAIL` in multi mode (docs/research/real-logs.md, b).
    mutating func connectFailed(_ connection: ConnectionID, abort: Bool) {
        guard let (number, link) = link(of: connection), case .connecting = link.phase else { return }
        if abort { act(.close(connection, graceful: false)) }
        act(.cancelTimer(.connect(connection)))
        links[number]?.phase = .closed(beforeConnect: false)
        if !settings.multiConnection { emitURC("STATE: " + singleState.rawValue) }
        emitURC(prefixed(number, "CONNECT FAIL"))
    }

    mutating func remoteClosed(_ connection: ConnectionID) {
        guard let (number, link) = link(of: connection) else { return }
        switch link.phase {
        case .connecting:
            connectFailed(connection, abort: true)
        case .connected:
            act(.close(connection, graceful: false))
            if activity == .dataMode { leaveDataMode() }
            sendFailed(on: connection, timedOut: false)
            if settings.manualReceive, !link.unread.isEmpty {
                links[number]?.phase = .remoteClosing
            } else {
                links[number]?.phase = .closed(beforeConnect: false)
                emitURC(prefixed(number, "CLOSED"))
            }
        case .closing:
            closeFinished(connection)
        case .remoteClosing, .closed:
            break
        }
    }

    /// A graceful close completed, or its time ran out.
    mutating func closeFinished(_ connection: ConnectionID) {
        guard let (number, link) = link(of: connection), link.phase == .closing else { return }
        cancelTimers(of: link)
        act(.close(connection, graceful: false))
        links[number]?.phase = .closed(beforeConnect: false)
    }

    // MARK: AT+CIPCLOSE

    private mutating func cipclose(_ command: ATCommand) -> CommandOutcome {
        let multi = settings.multiConnection
        var number = 0
        var quick = false
        switch command.form {
        case .test:
            info(multi ? "+CIPCLOSE: (0-5),(0,1)" : "+CIPCLOSE: (0,1)")
            return .ok
        case .read:
            return .error(nil)
        case .execute:
            guard !multi else { return .error(.operationNotAllowed) }
        case .write(let arguments):
            if multi {
                guard (1...2).contains(arguments.count), let n = command.integer(0, in: 0...(Self.linkCount - 1)) else {
                    return .error(.operationNotAllowed)
                }
                number = n
                if arguments.count == 2 {
                    guard let mode = command.integer(1, in: 0...1) else { return .error(.operationNotAllowed) }
                    quick = mode == 1
                }
            } else {
                guard let mode = command.singleInteger(in: 0...1) else { return .error(.operationNotAllowed) }
                quick = mode == 1
            }
        }
        guard context.stage != .deactivated, let link = links[number] else { return .error(.operationNotAllowed) }
        switch link.phase {
        case .closing, .closed:
            return .error(.operationNotAllowed)
        case .connecting(let awaitingContext):
            cancelTimers(of: link)
            if !awaitingContext { act(.close(link.id, graceful: false)) }
            links[number]?.phase = .closed(beforeConnect: true)
            info(prefixed(number, "CLOSE OK"))
            // SIM900-family: the aborted attempt ends with its state and CONNECT FAIL.
            if !multi { emitURC("STATE: IP CLOSE") }
            emitURC(prefixed(number, "CONNECT FAIL"))
            return .noResult
        case .connected, .remoteClosing:
            links[number]?.unread.removeAll()
            if quick {
                act(.close(link.id, graceful: false))
                links[number]?.phase = .closed(beforeConnect: false)
            } else {
                // TCP: FIN, then wait for the peer's; UDP: deregister the port with the network.
                act(.close(link.id, graceful: true))
                act(.startTimer(.close(link.id), after: configuration.timeouts.close))
                links[number]?.phase = .closing
            }
            return .final(prefixed(number, "CLOSE OK"))
        }
    }

    // MARK: AT+CIPSERVER

    private mutating func cipserver(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info("+CIPSERVER: (0,1),(1-65535)")
            return .ok
        case .read:
            if let server {
                info("+CIPSERVER: 1,\(server.port),\"TCP\",\(server.bearer)")
            } else {
                info("+CIPSERVER: 0")
            }
            return .ok
        case .execute:
            return .error(nil)
        case .write(let arguments):
            guard let mode = command.integer(0, in: 0...1) else { return .error(.operationNotAllowed) }
            if mode == 0 {
                guard arguments.count == 1, server != nil else { return .error(.operationNotAllowed) }
                act(.stopListening)
                server = nil
                return .final("SERVER CLOSE")
            }
            guard arguments.count == 2, let port = arguments[1].lenientInteger, (1...65535).contains(port) else {
                return .error(.operationNotAllowed)
            }
            guard server == nil, context.stage == .active(addressShown: true) else { return .error(.operationNotAllowed) }
            if !settings.multiConnection, links[0]?.phase.isActive == true { return .error(.operationNotAllowed) }
            server = Server(port: port, bearer: settings.bearer, listening: false)
            act(.listen(port: port))
            return .ok
        }
    }

    mutating func listening(port: Int) {
        guard server?.port == port, server?.listening == false else { return }
        server?.listening = true
        emitURC("SERVER OK")
    }

    mutating func listenFailed(port: Int) {
        guard server?.port == port else { return }
        server = nil
        emitURC("SERVER CLOSE")
    }

    /// A peer connected to the server: it takes the lowest free link (`<n>, REMOTE IP: <ip>`), or
    /// link 0 in single mode (`REMOTE IP: <ip>`); with no free link it is refused.
    mutating func incomingConnection(token: UInt64, address: String, port: Int) {
        guard let server, server.listening else {
            act(.reject(token: token))
            return
        }
        let candidates = settings.multiConnection ? Array(links.indices) : [0]
        guard let number = candidates.first(where: { links[$0]?.phase.isActive != true }) else {
            act(.reject(token: token))
            return
        }
        let link = Link(
            id: newConnectionID(), transport: .tcp, address: address, port: port, bearer: server.bearer,
            origin: .server, phase: .connected)
        links[number] = link
        act(.accept(token: token, as: link.id))
        emitURC(prefixed(number, "REMOTE IP: \(address)"))
    }

    // MARK: Dispatch of events and timers

    mutating func networkEvent(_ event: NetworkEvent) {
        switch event {
        case .contextActivated(let address): contextActivated(localAddress: address)
        case .contextActivationFailed: contextActivationFailed()
        case .contextDeactivated: contextDeactivatedByNetwork()
        case .connected(let connection, let address): connected(connection, remoteAddress: address)
        case .connectFailed(let connection): connectFailed(connection, abort: false)
        case .received(let connection, let bytes): received(bytes, on: connection)
        case .sent(let connection, let count): sent(count, on: connection)
        case .remoteClosed(let connection): remoteClosed(connection)
        case .closed(let connection): closeFinished(connection)
        case .listening(let port): listening(port: port)
        case .listenFailed(let port): listenFailed(port: port)
        case .incomingConnection(let token, let address, let port):
            incomingConnection(token: token, address: address, port: port)
        case .resolved(let query, let addresses): resolved(query: query, addresses: addresses)
        case .bearerActivated(let profile, let address): bearerActivated(profile: profile, localAddress: address)
        case .bearerActivationFailed(let profile): bearerActivationFailed(profile: profile)
        case .pingCompleted(let query, let address, let roundTrips):
            pingCompleted(query: query, address: address, roundTrips: roundTrips)
        case .registrationChanged(let registered):
            guard radio.networkAvailable != registered else { return }
            radio.networkAvailable = registered
            registrationChanged()
        case .signalChanged(let rssi):
            radio.signalQuality = (0...31).contains(rssi) ? rssi : 99
        }
    }

    mutating func timerEvent(_ timer: ModemTimer) {
        switch timer {
        case .activation: contextActivationFailed()
        case .connect(let connection): connectFailed(connection, abort: true)
        case .close(let connection): closeFinished(connection)
        case .send(let connection): sendFailed(on: connection, timedOut: true)
        case .dnsQuery(let query): resolved(query: query, addresses: [])
        case .bearerActivation(let profile): bearerActivationFailed(profile: profile)
        case .ping(let query): pingTimedOut(query: query)
        case .escapeGuard: escapeGuardElapsed()
        case .response:
            if case .awaitingResponse(let text) = activity { complete(with: .final(text)) }
        }
    }
}
