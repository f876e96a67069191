import ModemProtocol

/// Opening and closing links and the server (SIM800 manual §8.2.2, §8.2.5, §8.2.19), and the
/// network events that answer them: each step is one link's or the server's named transition, plus
/// what the host is told.
extension Modem {
    /// `AT+CIPSTART` on link `number` (validated): dials at once with an active context, brings
    /// the context up first from `IP INITIAL` (single mode), or refuses.
    mutating func startConnection(
        number: Int, transport: TransportProtocol, host: String, port: Int
    ) -> CommandOutcome {
        if let link = links[number], link.phase.isActive {
            fail(nil)
            info(.alreadyConnect(link: linkTag(number)))
            return .noResult
        }
        if context.stage == .deactivated {
            // Real modules answer OK, then report the state and fail (docs/research/real-logs.md, b).
            if !settings.multiConnection { emitURC(.state(.pdpDeact)) }
            emitURC(.connectFail(link: linkTag(number)))
            return .ok
        }
        let contextUp: Bool
        switch context.stage {
        case .active(addressShown: true): contextUp = true
        case .initial where !settings.multiConnection: contextUp = false
        default: return .error(.operationNotAllowed)
        }
        if !settings.multiConnection, server.isOpen { return .error(.operationNotAllowed) }
        _ = links.dial(number, transport, host: host, port: port, bearer: settings.bearer)
        if contextUp {
            let timeout = configuration.timeouts.connect
            links.update(number, actions: &output.actions) { $0.dial(timeout: timeout, actions: &$1) }
        } else {
            context.configure(apn: configuration.defaultAPN)
            context.activate(timeout: configuration.timeouts.activation, actions: &output.actions)
        }
        return .ok
    }

    mutating func connected(_ connection: ConnectionID, remoteAddress: String) {
        guard let (number, _) = links.link(of: connection),
            links.update(number, actions: &output.actions, { $0.connected(remoteAddress: remoteAddress, actions: &$1) })
                == true
        else { return }
        if settings.transparent, interpreter.isFree {
            emitURC(ResultCode.connect.text)
            enterDataMode()
        } else {
            emitURC(.connectOK(link: linkTag(number)))
        }
    }

    /// The attempt failed (refused, unreachable, timed out): `STATE: TCP CLOSED` and `CONNECT FAIL`
    /// in single mode, `<n>, CONNECT FAIL` in multi mode (docs/research/real-logs.md, b).
    mutating func connectFailed(_ connection: ConnectionID) {
        guard let (number, _) = links.link(of: connection),
            links.update(number, actions: &output.actions, { $0.connectFailed(actions: &$1) }) == true
        else { return }
        if !settings.multiConnection { emitURC(.state(singleState)) }
        emitURC(.connectFail(link: linkTag(number)))
    }

    mutating func remoteClosed(_ connection: ConnectionID) {
        guard let (number, link) = links.link(of: connection) else { return }
        switch link.phase {
        case .connecting:
            connectFailed(connection)
        case .connected:
            if interpreter.activity == .dataMode { leaveDataMode() }
            sendFailed(on: connection, timedOut: false)
            let keepingUnread = settings.manualReceive
            let closed = links.update(number, actions: &output.actions) {
                $0.remoteClosed(keepingUnread: keepingUnread, actions: &$1)
            }
            if closed == true {
                emitURC(.closed(link: linkTag(number)))
            }
        case .closing:
            closeFinished(connection)
        case .remoteClosing, .closed:
            break
        }
    }

    /// A graceful close completed, or its time ran out.
    mutating func closeFinished(_ connection: ConnectionID) {
        guard let (number, _) = links.link(of: connection) else { return }
        _ = links.update(number, actions: &output.actions) { $0.closeFinished(actions: &$1) }
    }

    /// `AT+CIPCLOSE` of link `number` (validated): a link still connecting is aborted with
    /// `CLOSE OK` then `CONNECT FAIL`; an open one closes, quickly or gracefully.
    mutating func closeLink(_ number: Int, quick: Bool) -> CommandOutcome {
        guard context.stage != .deactivated, let link = links[number] else { return .error(.operationNotAllowed) }
        switch link.phase {
        case .closing, .closed:
            return .error(.operationNotAllowed)
        case .connecting:
            links.update(number, actions: &output.actions) { $0.abort(actions: &$1) }
            info(.closeOK(link: linkTag(number)))
            // SIM900-family: the aborted attempt ends with its state and CONNECT FAIL.
            if !settings.multiConnection { emitURC(.state(.ipClose)) }
            emitURC(.connectFail(link: linkTag(number)))
            return .noResult
        case .connected, .remoteClosing:
            let timeout = configuration.timeouts.close
            links.update(number, actions: &output.actions) { $0.close(quick: quick, timeout: timeout, actions: &$1) }
            return .final(.closeOK(link: linkTag(number)))
        }
    }

    /// `AT+CIPSERVER=1,<port>` (validated): listens with an active context and no open link in
    /// single mode.
    mutating func openServer(port: Int) -> CommandOutcome {
        guard !server.isOpen, context.stage == .active(addressShown: true) else { return .error(.operationNotAllowed) }
        if !settings.multiConnection, links[0]?.phase.isActive == true { return .error(.operationNotAllowed) }
        server.open(port: port, bearer: settings.bearer, actions: &output.actions)
        return .ok
    }

    /// `AT+CIPSERVER=0`: `OK`, then `SERVER CLOSE` (SIM800 TCP/IP application note §3; the
    /// manual shows only `SERVER CLOSE`).
    mutating func closeServer() -> CommandOutcome {
        guard server.isOpen else { return .error(.operationNotAllowed) }
        server.close(actions: &output.actions)
        emitURC(.serverClose)
        return .ok
    }

    mutating func listening(port: Int) {
        if server.listening(port: port) { emitURC(.serverOK) }
    }

    mutating func listenFailed(port: Int) {
        if server.listenFailed(port: port) { emitURC(.serverClose) }
    }

    /// A peer connected to the server: it takes the lowest free link (`<n>, REMOTE IP: <ip>`), or
    /// link 0 in single mode (`REMOTE IP: <ip>`); with no free link it is refused.
    mutating func incomingConnection(token: UInt64, address: String, port: Int) {
        guard let endpoint = server.endpoint, server.isListening,
            let number = links.firstFree(among: settings.multiConnection ? 0..<links.count : 0..<1)
        else {
            act(.reject(token: token))
            return
        }
        let id = links.accept(number, address: address, port: port, bearer: endpoint.bearer)
        act(.accept(token: token, as: id))
        emitURC(.remoteIP(link: linkTag(number), address: address))
    }
}
