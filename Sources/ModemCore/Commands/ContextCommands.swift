import ModemProtocol

/// The commands that bring the GPRS bearer up and down and report its state
/// (SIM800 manual §8.2.8–8.2.14, §8.2.20 and §8.2.25).
extension Modem {
    mutating func executeContext(_ command: ATCommand) -> CommandOutcome? {
        switch command.name {
        case "+CIPMUX": return cipmux(command)
        case "+CSTT": return cstt(command)
        case "+CIICR": return ciicr(command)
        case "+CIFSR": return cifsr(command)
        case "+CGATT": return cgatt(command)
        case "+CDNSCFG": return cdnscfg(command)
        case "+CDNSGIP": return cdnsgip(command)
        case "+CIPSGTXT":
            return flagSetting(command, range: 0...1, current: settings.bearer) { $0.settings.bearer = $1 }
        case "+CIPSHUT": return cipshut(command)
        case "+CIPSTATUS": return cipstatus(command)
        default: return nil
        }
    }

    /// Whether the TCP/IP application is in `IP INITIAL` with nothing open.
    var isInitial: Bool {
        context.stage == .initial && server == nil && links.allSatisfy { $0 == nil }
    }

    private mutating func cipmux(_ command: ATCommand) -> CommandOutcome {
        if case .write = command.form, !isInitial { return .error(.operationNotAllowed) }
        return flagSetting(command, range: 0...1, current: settings.multiConnection ? 1 : 0) {
            $0.settings.multiConnection = $1 == 1
        }
    }

    private mutating func cstt(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info("+CSTT: \"APN\",\"USER\",\"PWD\"")
            return .ok
        case .read:
            let apn = context.stage == .initial ? configuration.defaultAPN : context.apn
            info("+CSTT: \"\(apn)\",\"\(context.user)\",\"\(context.password)\"")
            return .ok
        case .execute:
            guard context.stage == .initial else { return .error(.operationNotAllowed) }
            context.apn = configuration.defaultAPN
        case .write(let arguments):
            guard (1...3).contains(arguments.count),
                arguments.allSatisfy({ if case .token = $0 { false } else { true } }),
                let apn = arguments[0].text, apn.utf8.count <= 50,
                arguments.dropFirst().allSatisfy({ ($0.text?.utf8.count ?? 0) <= 50 })
            else { return .error(.operationNotAllowed) }
            guard context.stage == .initial else { return .error(.operationNotAllowed) }
            context.apn = apn
            context.user = arguments.count > 1 ? arguments[1].text ?? "" : ""
            context.password = arguments.count > 2 ? arguments[2].text ?? "" : ""
        }
        context.stage = .started
        return .ok
    }

    private mutating func ciicr(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test: return .ok
        case .read, .write: return .error(nil)
        case .execute:
            guard context.stage == .started else { return .error(.operationNotAllowed) }
            context.attached = true
            startActivation()
            activity = .activatingContext
            return .waiting
        }
    }

    /// Asks the network for the PDP context; `IP CONFIG` until it answers.
    mutating func startActivation() {
        context.stage = .activating
        act(.activateContext(apn: context.apn, user: context.user, password: context.password))
        act(.startTimer(.activation, after: configuration.timeouts.activation))
    }

    private mutating func cifsr(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test: return .ok
        case .read, .write: return .error(nil)
        case .execute:
            guard case .active = context.stage, let address = context.localAddress else {
                return .error(.operationNotAllowed)
            }
            context.stage = .active(addressShown: true)
            info(address)
            return .noResult
        }
    }

    private mutating func cgatt(_ command: ATCommand) -> CommandOutcome {
        flagSetting(command, range: 0...1, current: context.attached ? 1 : 0) { modem, value in
            modem.context.attached = value == 1
            if value == 0, modem.context.isActiveOrActivating {
                modem.contextLost(announce: false)
                modem.act(.deactivateContext)
            }
        }
    }

    private mutating func cdnscfg(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info("+CDNSCFG: (\"pri_dns\"),(\"sec_dns\")")
            return .ok
        case .read:
            info("PrimaryDns: \(settings.primaryDNS)")
            info("SecondaryDns: \(settings.secondaryDNS)")
            return .ok
        case .execute:
            return .error(nil)
        case .write(let arguments):
            guard (1...2).contains(arguments.count), let primary = arguments[0].text, isIPv4(primary) else {
                return .error(.operationNotAllowed)
            }
            var secondary = "0.0.0.0"
            if arguments.count == 2 {
                guard let text = arguments[1].text, isIPv4(text) else { return .error(.operationNotAllowed) }
                secondary = text
            }
            settings.primaryDNS = primary
            settings.secondaryDNS = secondary
            return .ok
        }
    }

    private mutating func cdnsgip(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test: return .ok
        case .read, .execute: return .error(nil)
        case .write(let arguments):
            guard arguments.count == 1, let host = arguments[0].text, !host.isEmpty, host.utf8.count <= 255 else {
                return .error(.operationNotAllowed)
            }
            guard context.isActive else { return .error(.operationNotAllowed) }
            let query = nextQuery
            nextQuery += 1
            dnsQueries[query] = host
            act(.resolve(query: query, host: host))
            act(.startTimer(.dnsQuery(query), after: configuration.timeouts.dns))
            return .ok
        }
    }

    private mutating func cipshut(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test: return .ok
        case .read, .write: return .error(nil)
        case .execute:
            let contextUp = context.isActiveOrActivating
            dropEverything()
            guard contextUp, configuration.responseTimes.shut > .zero else { return .final("SHUT OK") }
            // The state is IP INITIAL at once; the result waits for the network's answer.
            activity = .awaitingResponse("SHUT OK")
            act(.startTimer(.response, after: configuration.responseTimes.shut))
            return .waiting
        }
    }

    private mutating func cipstatus(_ command: ATCommand) -> CommandOutcome {
        let encoder = CIPSTATUSEncoder(dialect: configuration.dialect)
        switch command.form {
        case .test: return .ok
        case .read: return .error(nil)
        case .execute:
            settings.formatter.appendResult(.ok, to: &outbox.bytes)
            let multi = settings.multiConnection
            encoder.appendExecute(
                stateWord: multi ? multiState.rawValue : singleState.rawValue, server: serverStatus,
                links: linkStatuses, multiConnection: multi,
                formatter: settings.formatter, to: &outbox.bytes)
            return .noResult
        case .write:
            guard settings.multiConnection, let number = command.singleInteger(in: 0...(Self.linkCount - 1)) else {
                return .error(.operationNotAllowed)
            }
            encoder.appendLinkLine(linkStatus(number), formatter: settings.formatter, to: &outbox.bytes)
            return .ok
        }
    }

    // MARK: - Network events

    mutating func contextActivated(localAddress: String) {
        guard context.stage == .activating else { return }
        act(.cancelTimer(.activation))
        context.localAddress = localAddress
        context.stage = .active(addressShown: false)
        for index in links.indices {
            guard let link = links[index], link.phase == .connecting(awaitingContext: true) else { continue }
            // AT+CIPSTART from IP INITIAL brought the context up itself (SIM800 manual §8.2.2).
            context.stage = .active(addressShown: true)
            links[index]?.phase = .connecting(awaitingContext: false)
            openSocket(for: link)
        }
        if activity == .activatingContext { complete(with: .ok) }
    }

    mutating func contextActivationFailed() {
        guard context.stage == .activating else { return }
        act(.cancelTimer(.activation))
        context.stage = .activationFailed
        var startedByCIPSTART = false
        for index in links.indices {
            guard let link = links[index], link.phase == .connecting(awaitingContext: true) else { continue }
            startedByCIPSTART = true
            links[index]?.phase = .closed(beforeConnect: false)
            emitURC(settings.multiConnection ? "\(index), CONNECT FAIL" : "CONNECT FAIL")
        }
        if startedByCIPSTART { context = PacketContext(attached: context.attached) }
        if activity == .activatingContext {
            // Real SIM800L: `+PDP: DEACT` then `ERROR` (docs/research/real-logs.md, d).
            info("+PDP: DEACT")
            complete(with: .error(nil))
        }
    }

    /// The network released the context: every link closes and only `AT+CIPSHUT` leaves `PDP DEACT`.
    mutating func contextLost(announce: Bool) {
        for index in links.indices {
            guard let link = links[index], link.phase.isActive else { continue }
            cancelTimers(of: link)
            act(.close(link.id, graceful: false))
            if announce {
                switch link.phase {
                case .connecting: emitURC(prefixed(index, "CONNECT FAIL"))
                case .connected, .remoteClosing: emitURC(prefixed(index, "CLOSED"))
                default: break
                }
            }
            links[index]?.phase = .closed(beforeConnect: false)
            links[index]?.unread.removeAll()
            links[index]?.readingPaused = false
        }
        if server != nil {
            act(.stopListening)
            server = nil
        }
        if activity == .dataMode { leaveDataMode() }
        context.stage = .deactivated
        context.localAddress = nil
        if announce {
            // SIM808 R14.18 at AT+CFUN=0: `+SAPBR 1: DEACT`, then `+PDP: DEACT` (docs/research/real-logs.md, d).
            bearersLost()
            emitURC("+PDP: DEACT")
        }
    }

    mutating func contextDeactivatedByNetwork() {
        switch context.stage {
        case .activating: contextActivationFailed()
        case .active: contextLost(announce: true)
        default: break
        }
    }

    mutating func resolved(query: UInt64, addresses: [String]) {
        guard let host = dnsQueries.removeValue(forKey: query) else { return }
        act(.cancelTimer(.dnsQuery(query)))
        if addresses.isEmpty {
            emitURC("+CDNSGIP: 0,8")
        } else {
            let list = addresses.prefix(2).map { "\"\($0)\"" }.joined(separator: ",")
            emitURC("+CDNSGIP: 1,\"\(host)\",\(list)")
        }
    }

    /// `"<n>, <text>"` in multi-connection mode, `<text>` in single.
    func prefixed(_ number: Int, _ text: String) -> String {
        settings.multiConnection ? "\(number), \(text)" : text
    }
}

/// Whether `text` is a dotted-quad IPv4 address.
func isIPv4(_ text: String) -> Bool {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    return parts.count == 4
        && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber)
                && Int(part)! <= 255
        }
}
