import ModemProtocol

/// Transparent mode (`AT+CIPMODE=1`): after `CONNECT` every host byte goes to the link and every
/// received byte to the host, until `+++` surrounded by guard times returns to command mode; `ATO`
/// goes back to data mode.
extension Modem {
    mutating func executeTransparent(_ command: ATCommand) -> CommandOutcome? {
        switch command.name {
        case "+CIPMODE":
            if case .write = command.form, !isInitial || settings.multiConnection {
                return .error(.operationNotAllowed)
            }
            return flagSetting(command, range: 0...1, \.transparent)
        case "+CIPCCFG":
            switch command.form {
            case .read:
                info("+CIPCCFG: " + settings.transparentConfiguration.map(String.init).joined(separator: ","))
                return .ok
            case .test:
                info("+CIPCCFG: (3-8),(1-10),(1-1460),(0,1),(0,1),(50-1460),(20-1000)")
                return .ok
            case .write(let arguments):
                let ranges = [3...8, 1...10, 1...1460, 0...1, 0...1, 50...1460, 20...1000]
                guard (4...7).contains(arguments.count) else { return .error(nil) }
                var values = settings.transparentConfiguration
                for index in arguments.indices {
                    guard let value = command.integer(index, in: ranges[index]) else { return .error(nil) }
                    values[index] = value
                }
                settings.transparentConfiguration = values
                return .ok
            case .execute:
                return .error(nil)
            }
        case "O":
            guard command.form == .execute, settings.transparent, links[0]?.phase == .connected else {
                return .error(nil)
            }
            info("CONNECT")
            enterDataMode()
            return .waiting
        default:
            return nil
        }
    }
}
