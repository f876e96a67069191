import ModemProtocol

/// Voice calls and audio (SIM800 manual §2.2.2–2.2.8, §3.2.16–3.2.48, §6.2): `ATD<n>;`, `ATDL`,
/// `ATA`, `ATH`, `AT+CHUP`, `AT+CLCC`, `AT+CPAS`, `AT+COLP`, `AT+CVHU`, `AT+VTS`, `AT+VTD`, the
/// audio settings and tones.
///
/// The emulated network has no other party: a call is dialled (`OK` at once with `AT+COLP=0`),
/// alerts, is never answered and is released after ``ModemConfiguration/Timeouts/unansweredCall``
/// with `NO CARRIER` (`NO ANSWER` as `ATD`'s own result with `AT+COLP=1`). No call ever comes in,
/// so `ATA` answers `NO CARRIER`. Audio settings are stored and read back; nothing is played.
extension Modem {
    mutating func executeCall(_ command: ATCommand) -> CommandOutcome? {
        switch command.name {
        case "D": return dial(command)
        case "A":
            // §2.2.2: no incoming call to answer.
            return command.form == .execute ? .result(.noCarrier) : .error(nil)
        case "H", "+CHUP":
            guard command.form == .execute || command.form == .test, (command.value ?? 0) == 0 else {
                return .error(nil)
            }
            if command.form == .execute { _ = call.end(actions: &output.actions) }
            return .ok
        case "+CLCC": return clcc(command)
        case "+CPAS":
            switch command.form {
            case .execute: info("+CPAS: \(call.inProgress ? 4 : 0)")
            case .test: info("+CPAS: (0,2,3,4)")
            case .read, .write: return .error(nil)
            }
            return .ok
        case "+COLP", "+CVHU":
            return storedSetting(command, range: 0...1, initial: 0)
        case "+GSMBUSY", "+CFGRI":
            return storedSetting(command, range: 0...2, initial: 0)
        case "+CHFA":
            return storedSetting(command, range: 0...3, initial: 0)
        case "+CLVL":
            return storedSetting(command, range: 0...100, initial: 50)
        case "+VTD":
            return storedSetting(command, range: 1...255, initial: 1)
        case "+CMIC": return cmic(command)
        case "+VTS": return vts(command)
        case "+CLDTMF", "+STTONE": return tone(command)
        default: return nil
        }
    }

    /// A number stored by name in ``Settings/misc`` with read, test and write forms.
    mutating func storedSetting(_ command: ATCommand, range: ClosedRange<Int>, initial: Int) -> CommandOutcome {
        flagSetting(command, range: range, current: settings.misc[command.name] ?? initial) {
            $0.settings.misc[command.name] = $1
        }
    }

    /// `ATD<number>;` (§2.2.3) and `ATDL` (§2.2.6, the last number dialled). Without `;` it is a
    /// data call, which the emulation does not carry: `NO CARRIER`.
    private mutating func dial(_ command: ATCommand) -> CommandOutcome {
        guard let text = command.arguments.first?.text?.filter({ $0 != " " }) else { return .error(nil) }
        let number: String
        let voice: Bool
        if text.uppercased().hasPrefix("L") {
            guard let last = call.lastNumber else { return .result(.noCarrier) }
            number = last
            voice = true
        } else {
            voice = text.hasSuffix(";")
            let body = voice ? String(text.dropLast()) : text
            let modifiers = Set("TPWtpw,!@IiGg")
            let digits = body.filter { !modifiers.contains($0) }
            guard !digits.isEmpty, digits.count <= 40,
                digits.uppercased().allSatisfy({ $0.isASCII && ($0.isNumber || "+*#ABCD".contains($0)) })
            else { return .error(nil) }
            number = digits
        }
        guard voice else { return .result(.noCarrier) }
        guard !call.inProgress else { return .error(.operationNotAllowed) }
        guard radio.registered else { return .result(.noDialtone) }
        call.dial(number, timeout: configuration.timeouts.unansweredCall, actions: &output.actions)
        guard settings.misc["+COLP"] == 1 else { return .ok }
        interpreter.wait(.dialling)
        return .waiting
    }

    /// The network released an unanswered call.
    mutating func callUnanswered() {
        releaseCall(dialling: .noAnswer)
    }

    /// The network released the call (unanswered, coverage lost, the radio off): `NO CARRIER`, or
    /// `dialling` as the result of an `ATD` still waiting for the answer (`AT+COLP=1`).
    mutating func releaseCall(dialling result: ResultCode = .noCarrier) {
        guard call.end(actions: &output.actions) else { return }
        if interpreter.activity == .dialling {
            complete(with: .result(result))
        } else {
            emitURC(ResultCode.noCarrier.text)
        }
    }

    /// `AT+CLCC` (§3.2.16): the current call, `+CLCC: <id>,<dir>,<stat>,<mode>,<mpty>,"<number>",<type>,""`.
    private mutating func clcc(_ command: ATCommand) -> CommandOutcome {
        guard command.form == .execute else { return storedSetting(command, range: 0...1, initial: 0) }
        if case .alerting(let number) = call.phase {
            info("+CLCC: 1,0,3,0,0,\"\(number)\",\(Self.numberType(number)),\"\"")
        }
        return .ok
    }

    /// `AT+CMIC=<channel>,<gain>` (§6.2.4): channel 0–3, gain 0–15.
    private mutating func cmic(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .read:
            info("+CMIC: " + (0...3).map { "\(settings.misc["+CMIC\($0)"] ?? 0)" }.joined(separator: ","))
            return .ok
        case .test:
            info("+CMIC: (0-3),(0-15)")
            return .ok
        case .execute: return .error(nil)
        case .write(let arguments):
            guard arguments.count == 2, let channel = command.integer(0, in: 0...3),
                let gain = command.integer(1, in: 0...15)
            else { return .error(nil) }
            settings.misc["+CMIC\(channel)"] = gain
            return .ok
        }
    }

    /// `AT+VTS=<dtmf>[,<duration>]` (§3.2.37): tones during a call only.
    private mutating func vts(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info("+VTS: (0-9,*,#,A,B,C,D),(1-255)")
            return .ok
        case .read, .execute: return .error(nil)
        case .write(let arguments):
            guard (1...2).contains(arguments.count), let tones = arguments[0].text, Self.isDTMF(tones),
                arguments.count == 1 || command.integer(1, in: 1...255) != nil
            else { return .error(nil) }
            return call.inProgress ? .ok : .error(.operationNotAllowed)
        }
    }

    /// `AT+CLDTMF=<n>[,"<tones>"[,<timebase>]]` (§6.2.13, local DTMF tones) and
    /// `AT+STTONE=<mode>[,<tone>,<duration>]` (§6.2.26, SIM toolkit tones, `+STTONE: 0` when
    /// done). Nothing is played: a tone is done at once.
    private mutating func tone(_ command: ATCommand) -> CommandOutcome {
        let local = command.name == "+CLDTMF"
        switch command.form {
        case .test:
            info(local ? "+CLDTMF: (1-100),(0-9,*,#,A,B,C,D),(1-1000)" : "+STTONE: (0,1),(1-20),(10-15300000)")
            return .ok
        case .read:
            guard !local else { return .error(nil) }
            info("+STTONE: 0")
            return .ok
        case .execute:
            return local ? .ok : .error(nil)
        case .write(let arguments):
            if local {
                guard (1...3).contains(arguments.count), command.integer(0, in: 1...100) != nil,
                    arguments.count < 2 || arguments[1].text.map(Self.isDTMF) == true,
                    arguments.count < 3 || command.integer(2, in: 1...1000) != nil
                else { return .error(nil) }
                return .ok
            }
            guard let mode = command.integer(0, in: 0...1) else { return .error(nil) }
            if mode == 0 { return arguments.count == 1 ? .ok : .error(nil) }
            guard arguments.count == 3, command.integer(1, in: 1...20) != nil,
                command.integer(2, in: 10...15_300_000) != nil
            else { return .error(nil) }
            emitURC("+STTONE: 0")
            return .ok
        }
    }

    /// DTMF characters: digits, `*`, `#`, `A`–`D`, one or more.
    static func isDTMF(_ text: String) -> Bool {
        !text.isEmpty && text.uppercased().allSatisfy { $0.isNumber || "*#ABCD".contains($0) }
    }
}
