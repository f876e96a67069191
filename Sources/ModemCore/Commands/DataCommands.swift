import ModemProtocol

/// Moving data over links: `AT+CIPSEND`, `AT+CIPQSEND`, `AT+CIPRXGET`, `AT+CIPHEAD`,
/// `AT+CIPSRIP`, `AT+CIPSPRT` (SIM800 manual §8.2.3, §8.2.13–8.2.18, §8.2.26). Each checks its
/// arguments and makes one transition (Coordination/DataPath.swift).
extension Modem {
    mutating func executeData(_ command: ATCommand) -> CommandOutcome? {
        switch command.name {
        case "+CIPSEND": return cipsend(command)
        case "+CIPQSEND":
            return flagSetting(command, range: 0...1, \.quickSend)
        case "+CIPHEAD":
            return flagSetting(command, range: 0...1, \.receiveHeader)
        case "+CIPSRIP":
            return flagSetting(command, range: 0...1, \.showRemoteAddress)
        case "+CIPSPRT":
            return flagSetting(command, range: 0...2, \.sendPrompt)
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
            info(multi ? "+CIPSEND: \(linkRange),(1-\(maximum))" : "+CIPSEND: (1-\(maximum))")
            return .ok
        case .read:
            // The size one send may have now: what the link's send buffer has room for.
            if multi {
                for n in 0..<links.count { info("+CIPSEND: \(n),\(sendRoom(n))") }
            } else {
                info("+CIPSEND: \(sendRoom(0))")
            }
            return .ok
        case .execute:
            guard !multi else { return .error(nil) }
        case .write(let arguments):
            if multi {
                guard (1...2).contains(arguments.count), let n = command.integer(0, in: 0...(links.count - 1)) else {
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
        return startSend(on: number, length: length)
    }

    // MARK: AT+CIPRXGET

    private mutating func ciprxget(_ command: ATCommand) -> CommandOutcome {
        let multi = settings.multiConnection
        switch command.form {
        case .test:
            info(multi ? "+CIPRXGET: (0-4),\(linkRange),(1-1460)" : "+CIPRXGET: (0-4),(1-1460)")
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
                guard !links.anyActive else { return .error(.operationNotAllowed) }
                settings.manualReceive = mode == 1
                return .ok
            }
            guard settings.manualReceive else { return .error(.operationNotAllowed) }
            let offset = multi ? 1 : 0
            let expected = 1 + offset + (mode == 4 ? 0 : 1)
            guard arguments.count == expected else { return .error(.operationNotAllowed) }
            let number = multi ? command.integer(1, in: 0...(links.count - 1)) : 0
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
            readUnread(on: number, length: requested, hex: mode == 3, prefix: prefix)
            return .ok
        }
    }
}
