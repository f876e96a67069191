import ModemProtocol

/// Number and time formats of the location, GNSS and NTP replies.
extension Modem {
    /// The module's clock now in UTC: the network's time once taken, else the power-on clock.
    var utcNow: NetworkTime {
        let time = NetworkTime(clockText: clockText) ?? NetworkTime(
            year: 2004, month: 1, day: 1, hour: 0, minute: 0, second: 0, quarterHours: 0)
        return time.shifted(byQuarterHours: -time.quarterHours)
    }

    /// `value` with `places` decimals (`2.294481`), rounded half away from zero.
    static func decimal(_ value: Double, places: Int) -> String {
        var scale = 1
        for _ in 0..<places { scale *= 10 }
        let scaled = Int((abs(value) * Double(scale)).rounded())
        let fraction = String(scaled % scale)
        let padded = String(repeating: "0", count: max(0, places - fraction.count)) + fraction
        return (value < 0 && scaled > 0 ? "-" : "") + "\(scaled / scale)" + (places > 0 ? "." + padded : "")
    }

    /// An NMEA angle, `ddmm.mmmm` (`degreeDigits` 2) or `dddmm.mmmm` (3), of `value`'s magnitude.
    static func nmeaAngle(_ value: Double, degreeDigits: Int, places: Int = 4) -> String {
        let magnitude = abs(value)
        let degrees = Int(magnitude)
        let minutes = decimal((magnitude - Double(degrees)) * 60, places: places)
        let degreeText = String(degrees)
        let minuteWhole = minutes.prefix { $0 != "." }
        return String(repeating: "0", count: max(0, degreeDigits - degreeText.count)) + degreeText
            + (minuteWhole.count < 2 ? "0" : "") + minutes
    }

    /// Two digits, zero-padded.
    static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

extension NetworkTime {
    /// Reads `yy/MM/dd,hh:mm:ss±zz` (`AT+CCLK`'s format); `nil` when it is not that.
    init?(clockText: String) {
        let numbers = clockText.split { !$0.isNumber }.compactMap { Int($0) }
        guard numbers.count == 7 else { return nil }
        let zone = clockText.contains("-") ? -numbers[6] : numbers[6]
        self.init(
            year: 2000 + numbers[0], month: numbers[1], day: numbers[2], hour: numbers[3], minute: numbers[4],
            second: numbers[5], quarterHours: zone)
    }

    /// `yyyy/MM/dd` and `hh:mm:ss`, as `AT+CIPGSMLOC` prints them; `short` gives `yy/MM/dd`.
    func dateAndTime(shortYear short: Bool = false) -> (date: String, time: String) {
        let year = short ? Modem.twoDigits(self.year % 100) : String(self.year)
        return (
            "\(year)/\(Modem.twoDigits(month))/\(Modem.twoDigits(day))",
            [hour, minute, second].map(Modem.twoDigits).joined(separator: ":")
        )
    }

    /// `yyyyMMddhhmmss.000`, the UTC field of `AT+CGNSINF`.
    var compactText: String {
        String(year) + [month, day, hour, minute, second].map(Modem.twoDigits).joined() + ".000"
    }
}

extension ATCommand {
    /// The integer argument at `index`, signed (`-12`), when it lies in `range`.
    func signedInteger(_ index: Int, in range: ClosedRange<Int>) -> Int? {
        let arguments = self.arguments
        guard arguments.indices.contains(index), case .token(let text) = arguments[index] else { return nil }
        let negative = text.hasPrefix("-")
        guard let magnitude = ATArgument.token(negative ? String(text.dropFirst()) : text).integer else { return nil }
        let value = negative ? -magnitude : magnitude
        return range.contains(value) ? value : nil
    }
}
