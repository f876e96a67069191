import Foundation
import ModemCore

extension NetworkTime {
    /// This machine's local time and zone, as the network would send it (`AT+CLTS=1`).
    static func now() -> NetworkTime {
        let date = Date()
        let zone = TimeZone.current
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let daylightSaving = Int((zone.daylightSavingTimeOffset(for: date) / 3600).rounded())
        return NetworkTime(
            year: parts.year ?? 2004, month: parts.month ?? 1, day: parts.day ?? 1, hour: parts.hour ?? 0,
            minute: parts.minute ?? 0, second: parts.second ?? 0,
            quarterHours: zone.secondsFromGMT(for: date) / 900, daylightSaving: daylightSaving)
    }
}
