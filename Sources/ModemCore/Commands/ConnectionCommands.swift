import ModemProtocol

/// Opening and closing links: `AT+CIPSTART`, `AT+CIPCLOSE`, `AT+CIPSERVER` (SIM800 manual
/// §8.2.2, §8.2.5, §8.2.19). Each checks its arguments and makes one transition
/// (Coordination/LinkLifecycle.swift).
extension Modem {
    mutating func executeConnection(_ command: ATCommand) -> CommandOutcome? {
        switch command.name {
        case "+CIPSTART": return cipstart(command)
        case "+CIPCLOSE": return cipclose(command)
        case "+CIPSERVER": return cipserver(command)
        default: return nil
        }
    }

    /// `0-5` in multi-connection mode.
    var linkRange: String { "(0-\(links.count - 1))" }

    private mutating func cipstart(_ command: ATCommand) -> CommandOutcome {
        let multi = settings.multiConnection
        switch command.form {
        case .test:
            let mode = "(\"TCP\",\"UDP\"),(\"(0-255).(0-255).(0-255).(0-255)\"),(1-65535)"
            info(multi ? "+CIPSTART: \(linkRange),\(mode)" : "+CIPSTART: \(mode)")
            return .ok
        case .read, .execute:
            return .error(nil)
        case .write(let arguments):
            let offset = multi ? 1 : 0
            guard arguments.count == 3 + offset else { return .error(.operationNotAllowed) }
            let number = multi ? command.integer(0, in: 0...(links.count - 1)) : 0
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

    private mutating func cipclose(_ command: ATCommand) -> CommandOutcome {
        let multi = settings.multiConnection
        var number = 0
        var quick = false
        switch command.form {
        case .test:
            info(multi ? "+CIPCLOSE: \(linkRange),(0,1)" : "+CIPCLOSE: (0,1)")
            return .ok
        case .read:
            return .error(nil)
        case .execute:
            guard !multi else { return .error(.operationNotAllowed) }
        case .write(let arguments):
            if multi {
                guard (1...2).contains(arguments.count), let n = command.integer(0, in: 0...(links.count - 1)) else {
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
        return closeLink(number, quick: quick)
    }

    private mutating func cipserver(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info("+CIPSERVER: (0,1),(1-65535)")
            return .ok
        case .read:
            if let (port, bearer) = server.endpoint {
                info("+CIPSERVER: 1,\(port),\"TCP\",\(bearer)")
            } else {
                info("+CIPSERVER: 0")
            }
            return .ok
        case .execute:
            return .error(nil)
        case .write(let arguments):
            guard let mode = command.integer(0, in: 0...1) else { return .error(.operationNotAllowed) }
            if mode == 0 {
                guard arguments.count == 1 else { return .error(.operationNotAllowed) }
                return closeServer()
            }
            guard arguments.count == 2, let port = arguments[1].lenientInteger, (1...65535).contains(port) else {
                return .error(.operationNotAllowed)
            }
            return openServer(port: port)
        }
    }
}
