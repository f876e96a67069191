import ModemProtocol

/// Network services outside the TCP/IP application, in the module's reply shapes: USSD
/// (`AT+CUSD`, SIM800 manual §3.2.53), the subscriber number and phonebook (`AT+CNUM`, `AT+CPBR`,
/// `AT+CPBW`, `AT+COPN`, §3.2.25–3.2.41), network time (`AT+CNTPCID`, `AT+CNTP`, SIM800 NTP
/// application note), cell location (`AT+CLBS`, GSM Location application note; `AT+CIPGSMLOC`,
/// §13.2.1) and a few status commands (`AT+CADC`, `AT+CMTE`, `AT+SPWM`, `AT+CDEVICE`, §6.2).
///
/// The emulated network answers every USSD request with one fixed text, its NTP server with the
/// network's time (``Modem/networkClock``) and its location service with
/// ``ModemIdentity/latitude``/``ModemIdentity/longitude``, whenever the bearer profile is open.
extension Modem {
    mutating func executeService(_ command: ATCommand) -> CommandOutcome? {
        switch command.name {
        case "+CUSD": return cusd(command)
        case "+CNUM":
            guard command.form == .execute else { return command.form == .test ? .ok : .error(nil) }
            let number = configuration.identity.subscriberNumber
            info("+CNUM: \"\",\"\(number)\",\(Self.numberType(number))")
            return .ok
        case "+COPN":
            guard command.form == .execute else { return command.form == .test ? .ok : .error(nil) }
            info("+COPN: \"00101\",\"\(configuration.identity.operatorName)\"")
            return .ok
        case "+CPBR": return cpbr(command)
        case "+CPBW": return cpbw(command)
        case "+CNTPCID": return storedSetting(command, range: 1...3, initial: 1)
        case "+CNTP": return cntp(command)
        case "+CLBS" where configuration.model.hasLocationService: return location(command)
        case "+CIPGSMLOC": return location(command)
        case "+CADC", "+CMTE", "+SPWM", "+CDEVICE": return deviceStatus(command)
        default: return nil
        }
    }

    // MARK: USSD

    /// The text the emulated network answers every USSD request with.
    static let ussdReply = "ModemKit Test Network: no USSD service"

    /// `AT+CUSD=<n>[,"<str>"[,<dcs>]]`: `OK`, then `+CUSD: 0,"<reply>",15` when `<n>` is 1 (the
    /// reply in hex digits under `AT+CSCS="HEX"`, UCS2 with `<dcs>` 72 under `"UCS2"`). `<n>` 2 ends
    /// the session.
    private mutating func cusd(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .read:
            info("+CUSD: \(settings.misc["+CUSD"] ?? 0)")
            return .ok
        case .test:
            info("+CUSD: (0-2)")
            return .ok
        case .execute:
            settings.misc["+CUSD"] = 0
            return .ok
        case .write(let arguments):
            guard (1...3).contains(arguments.count), let mode = command.integer(0, in: 0...2),
                arguments.count < 2 || arguments[1].text.map(Self.isDTMF) == true,
                arguments.count < 3 || command.integer(2, in: 0...255) != nil
            else { return .error(.incorrectParameters) }
            if mode < 2 { settings.misc["+CUSD"] = mode }
            guard arguments.count >= 2, mode < 2 else { return .ok }
            guard radio.registered else { return .error(.noNetworkService) }
            guard mode == 1 else { return .ok }
            switch settings.characterSet {
            case "HEX":
                emitURC("+CUSD: 0,\"\(String(decoding: hexDigits(Self.ussdReply.utf8), as: UTF8.self))\",15")
            case "UCS2":
                let units = Self.ussdReply.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
                emitURC("+CUSD: 0,\"\(String(decoding: hexDigits(units), as: UTF8.self))\",72")
            default:
                emitURC("+CUSD: 0,\"\(Self.ussdReply)\",15")
            }
            return .ok
        }
    }

    // MARK: Phonebook

    /// `AT+CPBR=<index1>[,<index2>]` (§3.2.25): the entries in that range.
    private mutating func cpbr(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info("+CPBR: (1-\(Phonebook.indices.upperBound)),\(Phonebook.numberLength),\(Phonebook.textLength)")
            return .ok
        case .read, .execute: return .error(nil)
        case .write(let arguments):
            guard (1...2).contains(arguments.count), let first = command.integer(0, in: Phonebook.indices) else {
                return .error(.incorrectParameters)
            }
            let last = arguments.count == 2 ? command.integer(1, in: first...Phonebook.indices.upperBound) : first
            guard let last else { return .error(.incorrectParameters) }
            for index in first...last {
                guard let entry = phonebook.entries[index] else { continue }
                info("+CPBR: \(index),\"\(entry.number)\",\(entry.type),\"\(entry.text)\"")
            }
            return .ok
        }
    }

    /// `AT+CPBW=<index>` deletes; `AT+CPBW=[<index>],"<number>"[,<type>[,"<text>"]]` writes
    /// (§3.2.27).
    private mutating func cpbw(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info("+CPBW: (1-\(Phonebook.indices.upperBound)),\(Phonebook.numberLength),(129,145,161),"
                + "\(Phonebook.textLength)")
            return .ok
        case .read, .execute: return .error(nil)
        case .write(let arguments):
            let index = arguments.first == .empty ? nil : command.integer(0, in: Phonebook.indices)
            guard (1...4).contains(arguments.count), index != nil || arguments.first == .empty else {
                return .error(.incorrectParameters)
            }
            if arguments.count == 1 {
                guard let index else { return .error(.incorrectParameters) }
                phonebook.delete(index)
                return .ok
            }
            guard case .string(let number) = arguments[1], Self.isDialNumber(number),
                arguments.count < 3 || command.integer(2, in: 128...255) != nil
            else { return .error(.incorrectParameters) }
            let text = arguments.count == 4 ? arguments[3].text ?? "" : ""
            guard text.count <= Phonebook.textLength else { return .error(.textStringTooLong) }
            let entry = PhonebookEntry(
                number: number, type: command.integer(2, in: 128...255) ?? Self.numberType(number), text: text)
            return phonebook.write(entry, at: index) == nil ? .error(.memoryFull) : .ok
        }
    }

    // MARK: Network time

    /// `AT+CNTP="<server>"[,<tz>[,<cid>]]` sets the server; `AT+CNTP` synchronises: `OK`, then
    /// `+CNTP: 1` with the `AT+CNTPCID` bearer open (the clock takes the network's time), else
    /// `+CNTP: 61` (network error).
    private mutating func cntp(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .read:
            info("+CNTP: \"\(settings.timeServer)\",\(settings.timeServerZone)")
            return .ok
        case .test:
            info("+CNTP: 64,(-47-48)")
            return .ok
        case .write(let arguments):
            guard (1...3).contains(arguments.count), let host = arguments[0].text, host.utf8.count <= 64,
                arguments.count < 2 || command.signedInteger(1, in: -47...48) != nil,
                arguments.count < 3 || command.integer(2, in: 1...3) != nil
            else { return .error(nil) }
            settings.timeServer = host
            settings.timeServerZone = command.signedInteger(1, in: -47...48) ?? 0
            if let profile = command.integer(2, in: 1...3) { settings.misc["+CNTPCID"] = profile }
            return .ok
        case .execute:
            let profile = settings.misc["+CNTPCID"] ?? 1
            if bearers[profile].status == .connected, !settings.timeServer.isEmpty {
                if networkClock != nil { clockSynchronized = true }
                emitURC("+CNTP: 1")
            } else {
                emitURC("+CNTP: 61")
            }
            return .ok
        }
    }

    // MARK: Location

    /// `AT+CLBS=<type>,<cid>` (types 1–4; 3 and 4 add the date and time) and
    /// `AT+CIPGSMLOC=<type>,<cid>` (1: position and time, 2: time): the cell's position from the
    /// location service, through bearer profile `<cid>`. Its errors: `+CLBS: 3`, `+CIPGSMLOC: 601`.
    private mutating func location(_ command: ATCommand) -> CommandOutcome {
        let clbs = command.name == "+CLBS"
        switch command.form {
        case .test:
            info(clbs ? "+CLBS: (1-4),(1-3)" : "+CIPGSMLOC: (1,2),(1-3)")
            return .ok
        case .read, .execute: return .error(nil)
        case .write(let arguments):
            guard arguments.count >= 2, arguments.count <= (clbs ? 5 : 2),
                let type = command.integer(0, in: clbs ? 1...4 : 1...2),
                let profile = command.integer(1, in: BearerProfiles.numbers)
            else { return .error(nil) }
            guard bearers[profile].status == .connected else {
                info(clbs ? "+CLBS: 3" : "+CIPGSMLOC: 601")
                return .ok
            }
            let identity = configuration.identity
            let position =
                Self.decimal(identity.longitude, places: 6) + "," + Self.decimal(identity.latitude, places: 6)
            if clbs {
                let (date, time) = utcNow.dateAndTime(shortYear: true)
                info("+CLBS: 0,\(position),550" + (type >= 3 ? ",\(date),\(time)" : ""))
            } else {
                let (date, time) = utcNow.dateAndTime()
                info("+CIPGSMLOC: 0," + (type == 1 ? "\(position)," : "") + "\(date),\(time)")
            }
            return .ok
        }
    }

    // MARK: Device status

    /// `AT+CADC?` (§6.2.7: nothing on the ADC pin, 0 mV), `AT+CMTE` (§6.2.24: 25 °C, never too
    /// hot), `AT+SPWM` (§6.2.41, the PWM outputs: stored) and `AT+CDEVICE?` (§6.2.37, the flash).
    private mutating func deviceStatus(_ command: ATCommand) -> CommandOutcome {
        switch (command.name, command.form) {
        case ("+CADC", .read): info("+CADC: 1,0")
        case ("+CADC", .test): info("+CADC: (0,1),(0-2800)")
        case ("+CMTE", .read): info("+CMTE: \(settings.misc["+CMTE"] ?? 0),25.00")
        case ("+CMTE", .test): info("+CMTE: (0,1)")
        case ("+CMTE", .write):
            guard let mode = command.singleInteger(in: 0...1) else { return .error(nil) }
            settings.misc["+CMTE"] = mode
        case ("+SPWM", .test): info("+SPWM: (0-2),(0-2000),(0-100)")
        case ("+SPWM", .write(let arguments)):
            guard arguments.count == 3, command.integer(0, in: 0...2) != nil, command.integer(1, in: 0...2000) != nil,
                command.integer(2, in: 0...100) != nil
            else { return .error(nil) }
        case ("+CDEVICE", .read): info("Device Name: SPI NOR flash 32Mbit")
        case ("+CDEVICE", .test): break
        default: return .error(nil)
        }
        return .ok
    }
}
