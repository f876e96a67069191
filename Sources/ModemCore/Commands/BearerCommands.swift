import ModemProtocol

/// `AT+SAPBR` bearer profiles (SIM800 manual §9.2.1) and `AT+CIPPING` (§8.2.23). Each checks its
/// arguments and makes one transition (Coordination/ContextLifecycle.swift).
extension Modem {
    mutating func executeBearer(_ command: ATCommand) -> CommandOutcome? {
        switch command.name {
        case "+SAPBR": return sapbr(command)
        // The SIM900 manual (V1.11) has no AT+CIPPING: a SIM900 answers ERROR.
        case "+CIPPING": return configuration.model == .sim900 ? .error(nil) : cipping(command)
        default: return nil
        }
    }

    private mutating func sapbr(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info("+SAPBR: (0-4),(1-3),\"ConParamTag\",\"ConParamValue\"")
            return .ok
        case .read, .execute:
            return .error(nil)
        case .write(let arguments):
            guard arguments.count >= 2, let type = command.integer(0, in: 0...4),
                let profile = command.integer(1, in: BearerProfiles.numbers)
            else { return .error(nil) }
            let bearer = bearers[profile]
            switch type {
            case 3:
                guard arguments.count == 4, let tag = arguments[2].text?.uppercased(), BearerProfile.tags.contains(tag),
                    let value = arguments[3].text, value.utf8.count <= 64
                else { return .error(nil) }
                bearers.set(tag, to: value, profile: profile)
                return .ok
            case 4:
                guard arguments.count == 2 else { return .error(nil) }
                info("+SAPBR:")
                for tag in BearerProfile.tags { info("\(tag): \(bearer.parameters[tag] ?? "")") }
                return .ok
            case 2:
                guard arguments.count == 2 else { return .error(nil) }
                info("+SAPBR: \(profile),\(bearer.status.rawValue),\"\(bearer.address)\"")
                return .ok
            case 1:
                guard arguments.count == 2 else { return .error(.operationNotAllowed) }
                return openBearer(profile)
            default:
                guard arguments.count == 2, bearer.status == .connected else { return .error(.operationNotAllowed) }
                bearers.close(profile, actions: &output.actions)
                return .ok
            }
        }
    }

    /// `AT+CIPPING=<host>[,<retries>[,<size>[,<timeout>[,<ttl>]]]]` (SIM800 manual §8.2.23): one
    /// `+CIPPING: <n>,"<ip>",<replyTime>,<ttl>` line per attempt, then `OK`. `<replyTime>` is in
    /// units of 100 ms; an attempt without a reply shows 600 and TTL 255.
    private mutating func cipping(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info("+CIPPING: (1-100),(1-1024),(1-600),(1-255)")
            return .ok
        case .read:
            info("+CIPPING: 4,32,100,64")
            return .ok
        case .execute:
            return .error(nil)
        case .write(let arguments):
            guard (1...5).contains(arguments.count), let host = arguments[0].text, !host.isEmpty,
                host.utf8.count <= 255
            else { return .error(.operationNotAllowed) }
            let ranges = [1...100, 1...1024, 1...600, 1...255]
            var values = [4, 32, 100, 64]
            for index in 1..<arguments.count {
                if arguments[index] == .empty { continue }
                guard let value = command.integer(index, in: ranges[index - 1]) else {
                    return .error(.operationNotAllowed)
                }
                values[index - 1] = value
            }
            return ping(host, count: values[0], timeout: .milliseconds(values[2] * 100), ttl: values[3])
        }
    }
}
