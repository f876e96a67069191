/// The conditions of the simulated radio network every link's data crosses: bandwidth each way,
/// one-way latency and UDP loss (`--network`, `--net-up`, `--net-down`, `--net-delay`, `--udp-loss`).
///
/// Rates count payload bytes (what `AT+CIPSEND` sends and `+RECEIVE` delivers), not IP/TCP
/// headers. The presets' figures and their sources are in `docs/network.md`.
public struct NetworkProfile: Sendable, Equatable, CustomStringConvertible {
    /// Modem → network in kbit/s; `nil` is unlimited.
    public var uplinkKbit: Double?
    /// Network → modem in kbit/s; `nil` is unlimited.
    public var downlinkKbit: Double?
    /// Latency added to every chunk of data in each direction, drawn uniformly from this range.
    public var delay: ClosedRange<Duration>
    /// Fraction (0–1) of UDP datagrams dropped, independently in each direction.
    public var udpLoss: Double

    public init(
        uplinkKbit: Double? = nil, downlinkKbit: Double? = nil, delay: ClosedRange<Duration> = .zero ... .zero,
        udpLoss: Double = 0
    ) {
        self.uplinkKbit = uplinkKbit
        self.downlinkKbit = downlinkKbit
        self.delay = delay
        self.udpLoss = udpLoss
    }

    /// No shaping: today's behaviour, data passes at loopback speed.
    public static let ideal = NetworkProfile()
    /// GPRS, Android emulator `gprs` (up 40, down 80 kbit/s; 150–550 ms).
    public static let gprs = NetworkProfile(
        uplinkKbit: 40, downlinkKbit: 80, delay: .milliseconds(150) ... .milliseconds(550))
    /// EDGE/EGPRS, Android emulator `edge` (up 118.4, down 236.8 kbit/s; 80–400 ms).
    public static let edge = NetworkProfile(
        uplinkKbit: 118.4, downlinkKbit: 236.8, delay: .milliseconds(80) ... .milliseconds(400))
    /// UMTS/3G, Android emulator `umts` (up 128, down 1920 kbit/s; 35–200 ms).
    public static let umts = NetworkProfile(
        uplinkKbit: 128, downlinkKbit: 1920, delay: .milliseconds(35) ... .milliseconds(200))
    /// HSPA, Android emulator `hsdpa` (up 348, down 14 400 kbit/s), latency of `umts`' lower half.
    public static let hspa = NetworkProfile(
        uplinkKbit: 348, downlinkKbit: 14_400, delay: .milliseconds(35) ... .milliseconds(100))
    /// LTE, Android emulator `lte` (up 58 000, down 173 000 kbit/s), 10–50 ms.
    public static let lte = NetworkProfile(
        uplinkKbit: 58_000, downlinkKbit: 173_000, delay: .milliseconds(10) ... .milliseconds(50))

    /// The presets by name, in order of speed.
    public static let presets: [(name: String, profile: NetworkProfile)] = [
        ("ideal", .ideal), ("gprs", .gprs), ("edge", .edge), ("umts", .umts), ("hspa", .hspa), ("lte", .lte),
    ]

    /// The preset called `name`, if there is one.
    public static func preset(named name: String) -> NetworkProfile? {
        presets.first { $0.name == name.lowercased() }?.profile
    }

    /// Whether data passes untouched (no rate, no delay, no loss).
    public var isIdeal: Bool {
        uplinkKbit == nil && downlinkKbit == nil && delay.upperBound == .zero && udpLoss == 0
    }

    /// Applies one `key=value` setting, as `modem ctl network` and scenario files give them:
    /// `preset=gprs` (or a bare preset name), `up=KBIT`, `down=KBIT`, `delay=MS[:MS]`, `loss=P`.
    /// A rate of 0 means unlimited.
    public mutating func apply(_ setting: String) throws(NetworkProfileError) {
        guard let equals = setting.firstIndex(of: "=") else {
            guard let preset = Self.preset(named: setting) else { throw .unknownPreset(setting) }
            self = preset
            return
        }
        try apply(key: String(setting[..<equals]), value: String(setting[setting.index(after: equals)...]))
    }

    /// Applies one setting by key; see ``apply(_:)``.
    public mutating func apply(key: String, value: String) throws(NetworkProfileError) {
        switch key.lowercased() {
        case "preset", "network":
            guard let preset = Self.preset(named: value) else { throw .unknownPreset(value) }
            self = preset
        case "up", "net-up": uplinkKbit = try Self.rate(value, key)
        case "down", "net-down": downlinkKbit = try Self.rate(value, key)
        case "delay", "net-delay": delay = try Self.delayRange(value)
        case "loss", "udp-loss":
            guard let loss = Double(value), (0...1).contains(loss) else {
                throw .invalidValue(key: key, value: value, expected: "a fraction from 0 to 1")
            }
            udpLoss = loss
        default:
            throw .unknownKey(key)
        }
    }

    /// `KBIT` → kbit/s, 0 → unlimited.
    static func rate(_ value: String, _ key: String) throws(NetworkProfileError) -> Double? {
        guard let rate = Double(value), rate >= 0, rate.isFinite else {
            throw .invalidValue(key: key, value: value, expected: "kbit/s, 0 or more")
        }
        return rate == 0 ? nil : rate
    }

    /// `MS` or `MIN:MAX` in milliseconds (fractions allowed).
    public static func delayRange(_ value: String) throws(NetworkProfileError) -> ClosedRange<Duration> {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        let numbers = parts.compactMap { Double($0) }
        guard (1...2).contains(parts.count), numbers.count == parts.count,
            numbers.allSatisfy({ $0 >= 0 && $0.isFinite && $0 <= 3_600_000 }), numbers.first! <= numbers.last!
        else { throw .invalidValue(key: "delay", value: value, expected: "MS or MIN:MAX milliseconds, min ≤ max") }
        let low = Duration.microseconds(Int64((numbers.first! * 1000).rounded()))
        let high = Duration.microseconds(Int64((numbers.last! * 1000).rounded()))
        return low ... high
    }

    public var description: String {
        func rate(_ kbit: Double?) -> String { kbit.map { "\($0) kbit/s" } ?? "unlimited" }
        let name = Self.presets.first { $0.profile == self }?.name
        let values =
            "up \(rate(uplinkKbit)), down \(rate(downlinkKbit)), delay \(Self.milliseconds(delay.lowerBound))–\(Self.milliseconds(delay.upperBound)) ms, UDP loss \(udpLoss)"
        return name.map { "\($0) (\(values))" } ?? values
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}

/// A network setting that cannot be applied; the message says what is accepted.
public enum NetworkProfileError: Error, Equatable, CustomStringConvertible {
    case unknownPreset(String)
    case unknownKey(String)
    case invalidValue(key: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .unknownPreset(let name):
            "unknown network preset '\(name)'; known: \(NetworkProfile.presets.map(\.name).joined(separator: ", "))"
        case .unknownKey(let key): "unknown network setting '\(key)'; known: preset, up, down, delay, loss"
        case .invalidValue(let key, let value, let expected): "\(key)='\(value)': expected \(expected)"
        }
    }
}
