/// The network's local time, which a module with `AT+CLTS=1` takes when it registers
/// (SIM800 manual `AT+CLTS`, `AT+CCLK`, §6.2.12 for the URCs).
public struct NetworkTime: Sendable, Equatable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// Offset from UTC in quarter hours, daylight saving included (`AT+CCLK`'s `±zz`).
    public var quarterHours: Int
    /// Daylight saving in effect, in hours (0, 1 or 2): `DST: <n>`.
    public var daylightSaving: Int

    public init(
        year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, quarterHours: Int,
        daylightSaving: Int = 0
    ) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.quarterHours = quarterHours
        self.daylightSaving = daylightSaving
    }

    /// `yy/MM/dd,hh:mm:ss±zz`, as `+CCLK:` quotes it.
    public var clockText: String {
        let zone = (quarterHours < 0 ? "-" : "+") + Self.twoDigits(abs(quarterHours))
        return [year % 100, month, day].map(Self.twoDigits).joined(separator: "/") + ","
            + [hour, minute, second].map(Self.twoDigits).joined(separator: ":") + zone
    }

    /// The URCs a SIM800 prints when it takes the network's time, as real modules print them
    /// (docs/compatibility.md): `+CTZV: <zone>,<dst>`, `*PSUTTZ:` with the UTC date and time, the
    /// zone in quarter hours and daylight saving, `DST: <dst>`, then `+CIEV: 10,…` naming the network.
    func announcements(network: String, operatorName: String) -> [String] {
        let utc = shifted(byQuarterHours: -quarterHours)
        let zone = (quarterHours < 0 ? "-" : "+") + "\(abs(quarterHours))"
        let fields = [utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second].map(String.init)
        return [
            "+CTZV: \(zone),\(daylightSaving)",
            "*PSUTTZ: " + fields.joined(separator: ",") + ",\"\(zone)\",\(daylightSaving)",
            "DST: \(daylightSaving)",
            "+CIEV: 10,\"\(network)\",\"\(operatorName)\",\"\(operatorName)\", 0, 0",
        ]
    }

    /// The same instant `quarterHours` × 15 minutes later (earlier when negative), in the proleptic
    /// Gregorian calendar.
    func shifted(byQuarterHours quarters: Int) -> NetworkTime {
        var minutes = Self.daysFromCivil(year, month, day) * 1440 + hour * 60 + minute + quarters * 15
        let days = Int((Double(minutes) / 1440).rounded(.down))
        minutes -= days * 1440
        let (y, m, d) = Self.civilFromDays(days)
        var copy = self
        (copy.year, copy.month, copy.day, copy.hour, copy.minute) = (y, m, d, minutes / 60, minutes % 60)
        return copy
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    /// Days since 1970-01-01 (H. Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
