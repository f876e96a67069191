import ModemProtocol

/// V.250 basic commands and the general commands drivers send before TCP/IP work
/// (SIM800 manual chapters 2–3 and 6), answered as a SIM800 answers them.
extension Modem {
    mutating func executeGeneral(_ command: ATCommand) -> CommandOutcome? {
        if let outcome = executeBasic(command) { return outcome }
        if let outcome = executeIdentity(command) { return outcome }
        if let outcome = executeNetworkStatus(command) { return outcome }
        return executeSetting(command)
    }

    /// `ATE`, `ATV`, `ATI`, `ATZ`, `AT&F`, `AT&W` and the other V.250 basics.
    private mutating func executeBasic(_ command: ATCommand) -> CommandOutcome? {
        let value = command.value ?? 0
        switch command.name {
        case "E", "V":
            guard command.form == .execute, value <= 1 else { return .error(nil) }
            if command.name == "E" { settings.echo = value == 1 } else { settings.formatter.verbose = value == 1 }
            return .ok
        case "&W":
            guard command.form == .execute, value == 0 else { return .error(nil) }
            profile = SavedProfile(baudRate: settings.misc["+IPR"] ?? 0, networkTime: settings.misc["+CLTS"] == 1)
            return .ok
        case "Q", "X", "&C", "&D", "&V":
            return command.form == .execute ? .ok : .error(nil)
        case "I":
            guard command.form == .execute, value == 0 else { return .error(nil) }
            info(configuration.identity.productInformation)
            return .ok
        case "Z", "&F":
            guard command.form == .execute, value == 0 else { return .error(nil) }
            // Back to the stored (factory) profile: echo on, verbose results, no CME errors.
            settings.echo = configuration.echo
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

    /// Commands that answer a fixed identity value (`AT+GSN`, `AT+CCID`, …).
    private mutating func executeIdentity(_ command: ATCommand) -> CommandOutcome? {
        let identity = configuration.identity
        let value: String
        switch command.name {
        case "+GSN", "+CGSN": value = identity.imei
        case "+CCID": value = identity.iccid
        case "+CIMI": value = identity.imsi
        case "+GMR", "+CGMR": value = identity.revision
        case "+GMI", "+CGMI": value = identity.manufacturer
        case "+GMM", "+CGMM": value = identity.model
        default: return nil
        }
        switch command.form {
        case .test: return .ok
        case .execute:
            guard radio.simAnswers || command.name != "+CIMI" else { return .error(.simNotInserted) }
            info(value)
            return .ok
        case .read, .write: return .error(nil)
        }
    }

    /// SIM, registration, signal, operator, battery and clock.
    private mutating func executeNetworkStatus(_ command: ATCommand) -> CommandOutcome? {
        let identity = configuration.identity
        switch command.name {
        case "+CPIN":
            switch command.form {
            case .read: info(radio.simAnswers ? "+CPIN: READY" : "+CPIN: NOT READY")
            case .test, .write: break
            case .execute: return .error(nil)
            }
            return .ok
        case "+CSMINS":
            if command.form == .read {
                info("+CSMINS: \(settings.misc["+CSMINS"] ?? 0),1")
                return .ok
            }
            return flagSetting(command, range: 0...1, current: settings.misc["+CSMINS"] ?? 0) {
                $0.settings.misc["+CSMINS"] = $1
            }
        case "+CREG", "+CGREG":
            return registration(command)
        case "+CSQ":
            switch command.form {
            case .execute: info("+CSQ: \(radio.functionality == 1 ? radio.signalQuality : 99),0")
            case .test: info("+CSQ: (0-31,99),(0-7,99)")
            case .read, .write: return .error(nil)
            }
            return .ok
        case "+COPS":
            switch command.form {
            case .read:
                info(radio.registered ? "+COPS: 0,0,\"\(identity.operatorName)\"" : "+COPS: 0")
            case .test:
                info("+COPS: (2,\"\(identity.operatorName)\",\"\(identity.operatorName)\",\"00101\"),,(0-4),(0-2)")
            case .write, .execute: break
            }
            return .ok
        case "+CSPN":
            guard command.form == .read else { return command.form == .test ? .ok : .error(nil) }
            info("+CSPN: \"\(identity.operatorName)\",0")
            return .ok
        case "+CBC":
            switch command.form {
            case .execute:
                let percent = max(0, min(100, (identity.batteryMillivolts - 3400) * 100 / 800))
                info("+CBC: 0,\(percent),\(identity.batteryMillivolts)")
            case .test: info("+CBC: (0-2),(1-100),(voltage)")
            case .read, .write: return .error(nil)
            }
            return .ok
        case "+CCLK":
            switch command.form {
            case .read: info("+CCLK: \"\(clockText)\"")
            case .write, .test: break
            case .execute: return .error(nil)
            }
            return .ok
        case "+CFUN":
            return cfun(command)
        case "+CPOWD":
            guard case .write = command.form, command.singleInteger(in: 0...1) != nil else { return .error(nil) }
            info("NORMAL POWER DOWN")
            dropEverything()
            return .noResult
        default:
            return nil
        }
    }

    /// `AT+CREG` / `AT+CGREG` (3GPP TS 27.007 §7.2): `+CREG: <n>,<stat>`, and URCs when `<n>` is 1 or 2.
    private mutating func registration(_ command: ATCommand) -> CommandOutcome {
        let gprs = command.name == "+CGREG"
        let mode = gprs ? radio.gprsRegistrationReports : radio.registrationReports
        switch command.form {
        case .read:
            var line = "\(command.name): \(mode),\(radio.registrationStatus)"
            if mode == 2, radio.registered { line += ",\"1A2B\",\"0C3D\"" }
            info(line)
            return .ok
        case .test:
            info("\(command.name): (0-2)")
            return .ok
        case .write:
            guard let value = command.singleInteger(in: 0...2) else { return .error(nil) }
            radio.setRegistrationReports(value, gprs: gprs)
            return .ok
        case .execute:
            return .error(nil)
        }
    }

    /// `AT+CFUN` (SIM800 manual §3.2.29): 0 minimum, 1 full, 4 flight mode; `=1,1` reboots.
    private mutating func cfun(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .read:
            info("+CFUN: \(radio.functionality)")
            return .ok
        case .test:
            info("+CFUN: (0,1,4),(0,1)")
            return .ok
        case .execute:
            return .error(nil)
        case .write(let arguments):
            guard (1...2).contains(arguments.count), let level = command.integer(0, in: 0...4), level != 2, level != 3,
                arguments.count == 1 || command.integer(1, in: 0...1) != nil
            else { return .error(nil) }
            if arguments.count == 2, command.integer(1, in: 0...1) == 1 {
                settings.formatter.appendResult(.ok, to: &output.serial)
                powerOn()
                return .noResult
            }
            setFunctionality(level)
            return .ok
        }
    }

    /// Settings drivers write and read back without further effect on the TCP/IP application.
    private mutating func executeSetting(_ command: ATCommand) -> CommandOutcome? {
        switch command.name {
        case "+IPR":
            let rates = [0, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115_200, 230_400, 460_800]
            if case .write = command.form {
                guard let rate = command.singleInteger(in: 0...460_800), rates.contains(rate) else { return .error(nil) }
                settings.misc["+IPR"] = rate
                return .ok
            }
            return listSetting(command, current: "\(settings.misc["+IPR"] ?? 0)", test: "+IPR: (),(0,1200,2400,4800,9600,19200,38400,57600,115200,230400,460800)")
        case "+IFC":
            return pairSetting(command, first: 0...2, second: 0...2, omittedSecond: 0, initial: 0)
        case "+ICF":
            return pairSetting(command, first: 1...6, second: 0...3, omittedSecond: 3, initial: 33)
        case "+CLTS", "+CNETLIGHT", "+CBATCHK", "+CLIP", "+CMGF", "+CMGHEX", "+CSGS":
            return storedSetting(command, range: 0...1, initial: 0)
        case "+CSCLK":
            return storedSetting(command, range: 0...2, initial: 0)
        case "+CSCS":
            let sets = ["GSM", "HEX", "IRA", "PCCP", "PCDN", "UCS2", "8859-1"]
            return wordSetting(command, choices: sets, current: settings.characterSet) { $0.settings.characterSet = $1 }
        case "+CGDCONT", "+CGACT":
            // PDP context definitions for the packet domain; the TCP/IP application uses AT+CSTT's APN.
            switch command.form {
            case .read: info(command.name == "+CGACT" ? "+CGACT: 1,\(context.isActive ? 1 : 0)" : "+CGDCONT: 1,\"IP\",\"\(context.apn)\",\"0.0.0.0\",0,0")
            case .test, .write: break
            case .execute: return .error(nil)
            }
            return .ok
        default:
            return nil
        }
    }

    /// A setting of two small numbers, the second optional (`AT+IFC=<rx>[,<tx>]`,
    /// `AT+ICF=<format>[,<parity>]`), kept as `first * 10 + second`.
    private mutating func pairSetting(
        _ command: ATCommand, first: ClosedRange<Int>, second: ClosedRange<Int>, omittedSecond: Int, initial: Int
    ) -> CommandOutcome {
        if case .write(let arguments) = command.form {
            guard (1...2).contains(arguments.count), let value = command.integer(0, in: first) else { return .error(nil) }
            var other = omittedSecond
            if arguments.count == 2 {
                guard let given = command.integer(1, in: second) else { return .error(nil) }
                other = given
            }
            settings.misc[command.name] = value * 10 + other
            return .ok
        }
        let value = settings.misc[command.name] ?? initial
        let ranges = [first, second].map { "(\($0.lowerBound)-\($0.upperBound))" }.joined(separator: ",")
        return listSetting(command, current: "\(value / 10),\(value % 10)", test: "\(command.name): \(ranges)")
    }

    /// A setting that is one word of `choices` (`AT+CSCS="GSM"`, `AT+CGNSSEQ="RMC"`), quoted in
    /// its read and test forms, taken in any case.
    mutating func wordSetting(
        _ command: ATCommand, choices: [String], current: String, set: (inout Modem, String) -> Void
    ) -> CommandOutcome {
        switch command.form {
        case .read:
            info("\(command.name): \"\(current)\"")
            return .ok
        case .test:
            info("\(command.name): (" + choices.map { "\"\($0)\"" }.joined(separator: ",") + ")")
            return .ok
        case .write(let arguments):
            guard arguments.count == 1, let word = arguments[0].text?.uppercased(), choices.contains(word) else {
                return .error(nil)
            }
            set(&self, word)
            return .ok
        case .execute:
            return .error(nil)
        }
    }

    private mutating func listSetting(_ command: ATCommand, current: String, test: String) -> CommandOutcome {
        switch command.form {
        case .read:
            info("\(command.name): \(current)")
            return .ok
        case .test:
            info(test)
            return .ok
        case .execute, .write:
            return .error(nil)
        }
    }
}
