/// How long commands that wait for the network take (`--timing instant|realistic`). The figures
/// and where they come from are in `docs/network.md`.
public struct CommandTiming: Sendable, Equatable {
    /// The network's PDP context activation (`AT+CIICR`, `AT+SAPBR=1`, `AT+CIPSTART` from IP INITIAL);
    /// `nil` keeps ``EmulatorConfiguration/activationDelay``.
    public var activation: ClosedRange<Duration>?
    /// A DNS lookup (`AT+CDNSGIP`, `AT+CIPSTART` with a name): this plus one network round trip.
    public var dns: ClosedRange<Duration>
    /// `AT+CIPSTART` waits one network round trip (SYN, SYN-ACK) before `CONNECT OK`, and
    /// `AT+CIPPING` round trips include the network's.
    public var connectRoundTrip: Bool
    /// A connection that cannot be made (refused, unreachable, unresolvable) is not reported: the
    /// module's own `AT+CIPSTART` timeout ends it with `CONNECT FAIL`, as on a real module.
    public var failAfterModuleTimeout: Bool

    public init(
        activation: ClosedRange<Duration>? = nil, dns: ClosedRange<Duration> = .zero ... .zero,
        connectRoundTrip: Bool = false, failAfterModuleTimeout: Bool = false
    ) {
        self.activation = activation
        self.dns = dns
        self.connectRoundTrip = connectRoundTrip
        self.failAfterModuleTimeout = failAfterModuleTimeout
    }

    /// Today's behaviour: replies as soon as the sockets answer.
    public static let instant = CommandTiming()
    /// What a SIM800 on a live network shows (see `docs/network.md`).
    public static let realistic = CommandTiming(
        activation: .milliseconds(1500) ... .milliseconds(4000), dns: .milliseconds(200) ... .milliseconds(800),
        connectRoundTrip: true, failAfterModuleTimeout: true)

    public static func named(_ name: String) -> CommandTiming? {
        switch name.lowercased() {
        case "instant": .instant
        case "realistic": .realistic
        default: nil
        }
    }
}
