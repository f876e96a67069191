import ModemProtocol

/// V.250 basic commands and the general commands drivers send before TCP/IP work
/// (SIM800 manual chapters 2–3).
extension Modem {
    mutating func executeGeneral(_ command: ATCommand) -> CommandOutcome? {
        switch command.name {
        case "E":
            guard let value = command.value ?? .some(0), value <= 1, command.form == .execute else { return .error(nil) }
            settings.echo = value == 1
            return .ok
        case "V":
            guard let value = command.value ?? .some(0), value <= 1, command.form == .execute else { return .error(nil) }
            settings.formatter.verbose = value == 1
            return .ok
        case "Q", "X", "&C", "&D":
            return command.form == .execute ? .ok : .error(nil)
        case "I":
            guard command.form == .execute, (command.value ?? 0) == 0 else { return .error(nil) }
            info("\(configuration.identity.model) R14.18")
            return .ok
        case "&W":
            return command.form == .execute ? .ok : .error(nil)
        case "Z", "&F":
            guard command.form == .execute, (command.value ?? 0) == 0 else { return .error(nil) }
            let echo = command.name == "&F" ? configuration.echo : settings.echo
            settings.echo = echo
            settings.formatter = ResponseFormatter()
            return .ok
        case "+CMEE":
            return flagSetting(command, range: 0...2, current: settings.formatter.errorReporting.rawValue) {
                $0.settings.formatter.errorReporting = ErrorReporting(rawValue: $1) ?? .disabled
            }
        default:
            return nil
        }
    }
}
