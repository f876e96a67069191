import ModemProtocol

/// The GNSS receiver's commands, on the models that have one (``ModuleFamily/hasGNSS``: SIM808,
/// SIM868); on the others every one of them is unknown and answers `ERROR`, as there.
///
/// `AT+CGNSPWR`, `AT+CGNSINF`, `AT+CGNSSEQ`, `AT+CGNSTST` (SIM808 GNSS application note) and the
/// SIM808 R13 set `AT+CGPSPWR`, `AT+CGPSSTATUS`, `AT+CGPSINF` (modes 0 and 32), `AT+CGPSOUT`,
/// `AT+CGPSRST`. A powered receiver has a 3D fix at the configured position at once; the NMEA
/// stream of `AT+CGNSTST=1` is not produced.
extension Modem {
    /// Height above sea level the receiver reports, in metres.
    static let gnssAltitude = 35.0

    mutating func executeGNSS(_ command: ATCommand) -> CommandOutcome? {
        guard configuration.model.hasGNSS else { return nil }
        switch command.name {
        case "+CGNSPWR", "+CGPSPWR":
            return flagSetting(command, range: 0...1, current: gnss.powered ? 1 : 0) { $0.gnss.setPower($1 == 1) }
        case "+CGNSTST":
            return flagSetting(command, range: 0...1, current: gnss.nmeaToSerial ? 1 : 0) {
                $0.gnss.setNMEAOutput($1 == 1)
            }
        case "+CGPSOUT":
            return flagSetting(command, range: 0...255, current: gnss.outputMask) { $0.gnss.setOutputMask($1) }
        case "+CGPSRST":
            guard case .write = command.form else { return command.form == .test ? .ok : .error(nil) }
            return command.singleInteger(in: 0...2) == nil ? .error(nil) : .ok
        case "+CGNSSEQ":
            // Which NMEA sentence `AT+CGNSINF` takes its fields from first.
            return wordSetting(command, choices: ["GGA", "GSV", "GSA", "RMC"], current: gnss.sequence) {
                $0.gnss.setSequence($1)
            }
        case "+CGNSINF":
            guard command.form == .execute else { return command.form == .test ? .ok : .error(nil) }
            info(navigationLine)
            return .ok
        case "+CGPSSTATUS":
            guard command.form == .read else { return command.form == .test ? .ok : .error(nil) }
            info("+CGPSSTATUS: " + (gnss.powered ? "Location 3D Fix" : "Location Unknown"))
            return .ok
        case "+CGPSINF": return cgpsinf(command)
        default: return nil
        }
    }

    /// `+CGNSINF: <run>,<fix>,<utc>,<lat>,<lon>,<alt>,<speed>,<course>,<fix mode>,,<HDOP>,<PDOP>,
    /// <VDOP>,,<in view>,<used>,<GLONASS used>,,<C/N0 max>,<HPA>,<VPA>`; an unpowered receiver
    /// gives `<run>` 0 and empty fields.
    private var navigationLine: String {
        guard gnss.powered else { return "+CGNSINF: 0" + String(repeating: ",", count: 20) }
        let identity = configuration.identity
        let fields = [
            "1", "1", utcNow.compactText, Self.decimal(identity.latitude, places: 6),
            Self.decimal(identity.longitude, places: 6), Self.decimal(Self.gnssAltitude, places: 3), "0.00", "0.0",
            "1", "", "0.9", "1.2", "0.8", "", "12", "9", "", "", "45", "", "",
        ]
        return "+CGNSINF: " + fields.joined(separator: ",")
    }

    /// `AT+CGPSINF=<mode>`: 0 the position (`0,<lon>,<lat>,<alt>,<utc>,<ttff>,<sats>,<speed>,
    /// <course>`), 32 the RMC sentence's fields. Other modes are not emulated (`ERROR`).
    private mutating func cgpsinf(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info("+CGPSINF: (0-255)")
            return .ok
        case .read, .execute: return .error(nil)
        case .write:
            guard let mode = command.singleInteger(in: 0...255), mode == 0 || mode == 32 else { return .error(nil) }
            let identity = configuration.identity
            let now = utcNow
            let latitude = Self.nmeaAngle(identity.latitude, degreeDigits: 2, places: 6)
            let longitude = Self.nmeaAngle(identity.longitude, degreeDigits: 3, places: 6)
            if mode == 0 {
                let fields = gnss.powered
                    ? [longitude, latitude, Self.decimal(Self.gnssAltitude, places: 6), now.compactText, "30", "9"]
                    : ["0.000000", "0.000000", "0.000000", "19800106000000.000", "0", "0"]
                info("+CGPSINF: 0," + fields.joined(separator: ",") + ",0.000000,0.000000")
                return .ok
            }
            guard gnss.powered else {
                info("+CGPSINF: 32,,V,,,,,,,,,N")
                return .ok
            }
            let time = [now.hour, now.minute, now.second].map(Self.twoDigits).joined() + ".000"
            let date = [now.day, now.month, now.year % 100].map(Self.twoDigits).joined()
            let fields = [
                time, "A", Self.nmeaAngle(identity.latitude, degreeDigits: 2), identity.latitude < 0 ? "S" : "N",
                Self.nmeaAngle(identity.longitude, degreeDigits: 3), identity.longitude < 0 ? "W" : "E", "0.000",
                "0.00", date, "", "", "A",
            ]
            info("+CGPSINF: 32," + fields.joined(separator: ","))
            return .ok
        }
    }
}
