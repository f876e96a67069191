import ModemProtocol

/// Where the `+++` escape sequence of transparent mode stands (V.250 §6.3.x style guard times,
/// SIM800 manual §8.2.11 `AT+CIPMODE`, §8.2.12 `AT+CIPCCFG`). Time reaches the core only as
/// firings of ``ModemTimer/escapeGuard``.
enum EscapeState: Equatable, Sendable {
    /// Data flowed within the guard time.
    case busy
    /// The line has been quiet for the guard time: a `+++` may start.
    case quiet
    /// `count` `+` characters after a quiet period, not yet forwarded.
    case plus(count: Int)
    /// `+++` complete; quiet for the guard time once more leaves data mode.
    case escaping
}

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
            return flagSetting(command, range: 0...1, current: settings.transparent ? 1 : 0) {
                $0.settings.transparent = $1 == 1
            }
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

    /// Starts forwarding host bytes to link 0.
    mutating func enterDataMode() {
        activity = .dataMode
        escape = .busy
        skipLineFeedInDataMode = true
        act(.startTimer(.escapeGuard, after: configuration.timeouts.escapeGuard))
    }

    /// Back to command mode; held URCs follow.
    mutating func leaveDataMode() {
        guard activity == .dataMode else { return }
        act(.cancelTimer(.escapeGuard))
        escape = .busy
        activity = .idle
    }

    /// Host bytes in data mode: forwarded to the link, except a `+++` that may be the escape.
    mutating func dataModeInput(_ input: inout ArraySlice<UInt8>) {
        guard let link = links[0], link.phase == .connected else {
            leaveDataMode()
            return
        }
        var data: [UInt8] = []
        let plus = UInt8(ascii: "+")
        for byte in input {
            if skipLineFeedInDataMode {
                skipLineFeedInDataMode = false
                if byte == SerialLineReader.lineFeed { continue }
            }
            switch escape {
            case .quiet where byte == plus:
                escape = .plus(count: 1)
            case .plus(let count) where byte == plus:
                escape = count == 2 ? .escaping : .plus(count: count + 1)
            case .plus(let count):
                data.append(contentsOf: repeatElement(plus, count: count))
                data.append(byte)
                escape = .busy
            case .escaping:
                data.append(contentsOf: [plus, plus, plus])
                data.append(byte)
                escape = .busy
            default:
                data.append(byte)
                escape = .busy
            }
        }
        input = input[input.endIndex...]
        if !data.isEmpty { transmit(data, on: 0) }
        // Any byte restarts the guard time: a +++ needs it before, and leaves data mode after it.
        act(.startTimer(.escapeGuard, after: configuration.timeouts.escapeGuard))
    }

    mutating func escapeGuardElapsed() {
        guard activity == .dataMode else { return }
        switch escape {
        case .busy:
            escape = .quiet
        case .quiet:
            break
        case .plus(let count):
            // An incomplete escape was data after all.
            transmit(Array(repeating: UInt8(ascii: "+"), count: count), on: 0)
            escape = .busy
            act(.startTimer(.escapeGuard, after: configuration.timeouts.escapeGuard))
        case .escaping:
            leaveDataMode()
            settings.formatter.appendResult(.ok, to: &outbox.bytes)
        }
    }
}
