import ModemCore
import ModemProtocol
import NIOCore

/// How one virtual modem behaves beyond what AT commands control: the simulated network and the
/// limits the runtime keeps. The protocol itself is ``ModemCore/Modem``'s; nothing here changes a reply.
public struct EmulatorConfiguration: Sendable {
    /// The state machine's own settings (dialect, power-on echo, buffer limits, timeouts).
    public var modem = ModemConfiguration()
    /// The address the network assigns when the PDP context comes up (`AT+CIFSR`).
    public var localAddress = "10.64.0.2"
    /// How long the network takes to activate a PDP context (`AT+CIICR`).
    public var activationDelay: Duration = .milliseconds(300)
    /// Extra time before a link's socket is opened, to make `CONNECTING` observable.
    public var connectDelay: Duration = .zero
    /// How long the network takes to deregister a UDP port after `AT+CIPCLOSE` (`UDP CLOSING`).
    public var udpCloseDelay: Duration = .zero
    /// Where links may connect; empty allows every destination.
    public var allowList = AllowList()
    /// The address `AT+CIPSERVER` listens on (loopback unless configured otherwise).
    public var serverBindHost = "127.0.0.1"
    /// Pace output to the host at a UART's rate (10 bits per byte); `nil` writes as fast as the host reads.
    public var baudRate: Int?
    /// A file that records the serial conversation, decoded, every byte kept (docs/trace.md).
    public var tracePath: String?
    /// Most bytes of serial output queued while the host does not read; above it every link stops
    /// reading its socket until the host catches up.
    public var serialOutputLimit = 64 * 1024
    /// Whether the network refuses PDP context activation (`fail-activation on`).
    public var failActivation = false
    /// Whether the network refuses every connection (`refuse-connects on`).
    public var refuseConnects = false
    /// Bandwidth, latency and UDP loss every link's data meets (`--network`); ``NetworkProfile/ideal`` is unshaped.
    public var network = NetworkProfile.ideal
    /// How long commands that wait for the network take (`--timing`).
    public var timing = CommandTiming.instant
    /// Seeds every random choice (latency jitter, UDP loss, timing, line noise) so a run repeats exactly.
    public var seed: UInt64 = 0
    /// A timeline of network changes and faults to play from start-up (`--scenario`).
    public var scenario: Scenario?

    public init() {}
}

/// Parses the durations the command line takes: `250ms`, `1.5s`, `2m`, or a bare number of milliseconds.
public enum DurationParser {
    /// The longest duration accepted, in microseconds (about 285 years): what every timer can hold
    /// (NIO's `TimeAmount` counts nanoseconds in an `Int64`).
    static let maximumMicroseconds = 9e15

    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.lowercased().filter { $0 != " " }
        let units: [(suffix: String, milliseconds: Double)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            guard let value = Double(trimmed.dropLast(unit.suffix.count)) else { return nil }
            return duration(value, milliseconds: unit.milliseconds)
        }
        guard let value = Double(trimmed) else { return nil }
        return duration(value, milliseconds: 1)
    }

    /// `value` units of `milliseconds` each, or `nil` when negative, not finite or too long.
    private static func duration(_ value: Double, milliseconds: Double) -> Duration? {
        let microseconds = (value * milliseconds * 1000).rounded()
        guard value >= 0, microseconds <= maximumMicroseconds else { return nil }  // NaN fails both
        return .microseconds(Int64(microseconds))
    }
}

extension Duration {
    /// The same span as a NIO `TimeAmount`.
    var timeAmount: TimeAmount {
        let (seconds, attoseconds) = components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
