import ModemProtocol

/// The packet domain's life: PDP context activation and loss, `AT+CIPSHUT`, the radio, the
/// `AT+SAPBR` bearers, reboots, and the network's answers to lookups and pings.
extension Modem {
    // MARK: PDP context

    /// `AT+CIICR` in `IP START`: waits for the network.
    mutating func activateContext() -> CommandOutcome {
        guard context.stage == .started else { return .error(.operationNotAllowed) }
        context.setAttached(true)
        context.activate(timeout: configuration.timeouts.activation, actions: &output.actions)
        interpreter.wait(.activatingContext)
        return .waiting
    }

    mutating func contextActivated(localAddress: String) {
        guard context.activated(localAddress: localAddress, actions: &output.actions) else { return }
        let timeout = configuration.timeouts.connect
        for number in 0..<links.count where links[number]?.phase == .connecting(awaitingContext: true) {
            // AT+CIPSTART from IP INITIAL brought the context up itself (SIM800 manual §8.2.2).
            context.showAddress()
            links.update(number, actions: &output.actions) { $0.dial(timeout: timeout, actions: &$1) }
        }
        if interpreter.activity == .activatingContext { complete(with: .ok) }
    }

    mutating func contextActivationFailed() {
        guard context.activationFailed(actions: &output.actions) else { return }
        var startedByCIPSTART = false
        for number in 0..<links.count where links[number]?.phase == .connecting(awaitingContext: true) {
            startedByCIPSTART = true
            _ = links.update(number, actions: &output.actions) { $0.connectFailed(actions: &$1) }
            emitURC(.connectFail(link: linkTag(number)))
        }
        if startedByCIPSTART { context.forget() }
        if interpreter.activity == .activatingContext {
            // Real SIM800L: `+PDP: DEACT` then `ERROR` (docs/research/real-logs.md, d).
            info(.pdpDeact)
            complete(with: .error(nil))
        }
    }

    /// The context went down: every link closes and only `AT+CIPSHUT` leaves `PDP DEACT`.
    /// `announce`: the network or the radio took it (URCs follow), not the host's `AT+CGATT=0`.
    mutating func contextLost(announce: Bool) {
        for number in 0..<links.count {
            guard let link = links[number], link.phase.isActive else { continue }
            links.update(number, actions: &output.actions) { $0.drop(discardingUnread: true, actions: &$1) }
            guard announce else { continue }
            switch link.phase {
            case .connecting: emitURC(.connectFail(link: linkTag(number)))
            case .connected, .remoteClosing: emitURC(.closed(link: linkTag(number)))
            default: break
            }
        }
        server.close(actions: &output.actions)
        if interpreter.activity == .dataMode { leaveDataMode() }
        context.lost()
        if announce {
            // SIM808 R14.18 at AT+CFUN=0: `+SAPBR 1: DEACT`, then `+PDP: DEACT` (docs/research/real-logs.md, d).
            bearersLost()
            emitURC(.pdpDeact)
        }
    }

    mutating func contextDeactivatedByNetwork() {
        switch context.stage {
        case .activating: contextActivationFailed()
        case .active: contextLost(announce: true)
        default: break
        }
    }

    /// `AT+CGATT=<state>`: detaching takes the context down without URCs.
    mutating func setAttached(_ attached: Bool) {
        context.setAttached(attached)
        if !attached, context.isActiveOrActivating {
            contextLost(announce: false)
            act(.deactivateContext)
        }
    }

    /// `AT+CIPSHUT`: the state is `IP INITIAL` at once; with a context up, `SHUT OK` waits for the
    /// network's answer when the runtime has response times.
    mutating func shut() -> CommandOutcome {
        let contextUp = context.isActiveOrActivating
        dropEverything()
        guard contextUp, configuration.responseTimes.shut > .zero else { return .final(.shutOK) }
        interpreter.wait(.awaitingResponse(ModuleResult.shutOK.line))
        act(.startTimer(.response, after: configuration.responseTimes.shut))
        return .waiting
    }

    /// Closes every connection and the server, and forgets the PDP context (CIPSHUT, reset).
    mutating func dropEverything() {
        links.removeAll(actions: &output.actions)
        server.close(actions: &output.actions)
        context.shut(actions: &output.actions)
        queries.cancelLookups(actions: &output.actions)
    }

    // MARK: AT+SAPBR bearers

    /// `AT+SAPBR=1,<cid>` (validated): waits for the network.
    mutating func openBearer(_ profile: Int) -> CommandOutcome {
        guard bearers[profile].status == .closed, radio.registered else { return .error(.operationNotAllowed) }
        bearers.open(profile, timeout: configuration.timeouts.activation, actions: &output.actions)
        interpreter.wait(.openingBearer(profile: profile))
        return .waiting
    }

    mutating func bearerActivated(profile: Int, localAddress: String) {
        guard interpreter.activity == .openingBearer(profile: profile) else { return }
        bearers.opened(profile, localAddress: localAddress, actions: &output.actions)
        complete(with: .ok)
    }

    mutating func bearerActivationFailed(profile: Int) {
        guard interpreter.activity == .openingBearer(profile: profile) else { return }
        bearers.openFailed(profile, actions: &output.actions)
        complete(with: .error(nil))
    }

    /// The packet domain went down (the network dropped it, or `AT+CFUN=0`): open bearers close
    /// with `+SAPBR <cid>: DEACT`.
    mutating func bearersLost() {
        for profile in bearers.lost(actions: &output.actions) { emitURC(.bearerDeactivated(profile: profile)) }
    }

    // MARK: Lookups and pings

    mutating func resolved(query: UInt64, addresses: [String]) {
        guard let host = queries.resolved(query, actions: &output.actions) else { return }
        if addresses.isEmpty {
            emitURC("+CDNSGIP: 0,8")
        } else {
            let list = addresses.prefix(2).map { "\"\($0)\"" }.joined(separator: ",")
            emitURC("+CDNSGIP: 1,\"\(host)\",\(list)")
        }
    }

    /// `AT+CIPPING` (validated): waits for the round trips.
    mutating func ping(_ host: String, count: Int, timeout: Duration, ttl: Int) -> CommandOutcome {
        guard context.isActive else { return .error(.operationNotAllowed) }
        let query = queries.ping(host, count: count, timeout: timeout, ttl: ttl, actions: &output.actions)
        interpreter.wait(.pinging(query: query))
        return .waiting
    }

    /// `+CIPPING: <n>,"<ip>",<replyTime>,<ttl>` per attempt, then `OK`. `<replyTime>` is in units of
    /// 100 ms; an attempt without a reply shows 600 and TTL 255 (SIM800 manual §8.2.23).
    mutating func pingCompleted(query: UInt64, address: String?, roundTrips: [Duration?]) {
        guard interpreter.activity == .pinging(query: query) else { return }
        queries.pingFinished(query, actions: &output.actions)
        guard let address else {
            complete(with: .error(.operationNotAllowed))
            return
        }
        for (index, roundTrip) in roundTrips.enumerated() {
            if let roundTrip {
                // Round up to the next 100 ms unit: a reply is never reported as taking no time.
                let units = max(1, Int((roundTrip / .milliseconds(100)).rounded(.up)))
                info("+CIPPING: \(index + 1),\"\(address)\",\(units),\(queries.pingTTL)")
            } else {
                info("+CIPPING: \(index + 1),\"\(address)\",600,255")
            }
        }
        complete(with: .ok)
    }

    mutating func pingTimedOut(query: UInt64) {
        guard interpreter.activity == .pinging(query: query) else { return }
        complete(with: .error(nil))
    }
}
