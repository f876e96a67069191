import ModemProtocol

/// The commands that bring the GPRS bearer up and down and report its state
/// (SIM800 manual §8.2.8–8.2.14, §8.2.20 and §8.2.25). Each checks its arguments and makes one
/// transition (Coordination/ContextLifecycle.swift).
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
            return flagSetting(command, range: 0...1, \.bearer)
        case "+CIPSHUT": return cipshut(command)
        case "+CIPSTATUS": return cipstatus(command)
        default: return nil
        }
    }

    private mutating func cipmux(_ command: ATCommand) -> CommandOutcome {
        if case .write = command.form, !isInitial { return .error(.operationNotAllowed) }
        return flagSetting(command, range: 0...1, \.multiConnection)
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
            context.configure(apn: configuration.defaultAPN)
            return .ok
        case .write(let arguments):
            guard (1...3).contains(arguments.count),
                arguments.allSatisfy({ if case .token = $0 { false } else { true } }),
                let apn = arguments[0].text, apn.utf8.count <= 50,
                arguments.dropFirst().allSatisfy({ ($0.text?.utf8.count ?? 0) <= 50 })
            else { return .error(.operationNotAllowed) }
            guard context.stage == .initial else { return .error(.operationNotAllowed) }
            context.configure(
                apn: apn, user: arguments.count > 1 ? arguments[1].text ?? "" : "",
                password: arguments.count > 2 ? arguments[2].text ?? "" : "")
            return .ok
        }
    }

    private mutating func ciicr(_ command: ATCommand) -> CommandOutcome {
        executeOnly(command) { $0.activateContext() }
    }

    private mutating func cifsr(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test: return .ok
        case .read, .write: return .error(nil)
        case .execute:
            guard case .active = context.stage, let address = context.localAddress else {
                return .error(.operationNotAllowed)
            }
            context.showAddress()
            info(address)
            return .noResult
        }
    }

    private mutating func cgatt(_ command: ATCommand) -> CommandOutcome {
        flagSetting(command, range: 0...1, current: context.attached ? 1 : 0) { $0.setAttached($1 == 1) }
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
            guard (1...2).contains(arguments.count), let primary = arguments[0].text, IPv4Address(primary) != nil else {
                return .error(.operationNotAllowed)
            }
            var secondary = "0.0.0.0"
            if arguments.count == 2 {
                guard let text = arguments[1].text, IPv4Address(text) != nil else { return .error(.operationNotAllowed) }
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
            queries.resolve(host, timeout: configuration.timeouts.dns, actions: &output.actions)
            return .ok
        }
    }

    private mutating func cipshut(_ command: ATCommand) -> CommandOutcome {
        executeOnly(command) { $0.shut() }
    }

    private mutating func cipstatus(_ command: ATCommand) -> CommandOutcome {
        let encoder = CIPSTATUSEncoder(dialect: configuration.dialect)
        switch command.form {
        case .test: return .ok
        case .read: return .error(nil)
        case .execute:
            settings.formatter.appendResult(.ok, to: &output.serial)
            if settings.multiConnection {
                encoder.appendExecute(
                    multiState, server: server.status, links: links.statuses, formatter: settings.formatter,
                    to: &output.serial)
            } else {
                encoder.appendExecute(singleState, formatter: settings.formatter, to: &output.serial)
            }
            return .noResult
        case .write:
            guard settings.multiConnection, let number = command.singleInteger(in: 0...(links.count - 1)) else {
                return .error(.operationNotAllowed)
            }
            encoder.appendLinkLine(links.status(number), formatter: settings.formatter, to: &output.serial)
            return .ok
        }
    }
}
