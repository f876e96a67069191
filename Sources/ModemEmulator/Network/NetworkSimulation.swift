import ModemCore
import ModemProtocol

/// The radio network one emulated module sees: the conditions its links' data meets, how long
/// signalling takes, which destinations exist, and the faults in force.
///
/// The runtime asks and carries out the answer; the simulation decides from its settings and its
/// seeded random streams (one each for link data, command timing and line noise, so that one kind
/// of draw never shifts another's sequence) and never acts, schedules or calls back. One instance
/// serves a modem and every ``LinkShaper`` of its links, on the modem's event loop only.
final class NetworkSimulation {
    /// The conditions every link's data crosses now; a change applies to data sent after it.
    var profile: NetworkProfile
    /// Whether the network refuses PDP context and bearer activations (`fail-activation on`).
    var failActivation: Bool
    /// Whether the network refuses every connection (`refuse-connects on`).
    var refuseConnects: Bool
    /// Where links and pings may go.
    let allowList: AllowList
    /// How long deregistering a UDP port takes after `AT+CIPCLOSE` (`UDP CLOSING`).
    let udpCloseDelay: Duration
    private let timing: CommandTiming
    private let fixedActivationDelay: Duration
    private let fixedConnectDelay: Duration
    private let localAddress: String
    private var dataRandom: SeededRandom
    private var timingRandom: SeededRandom
    private var noiseRandom: SeededRandom

    /// What the network answers to a PDP context or bearer activation.
    enum ActivationOutcome: Equatable {
        /// The context is up with this local address (`AT+CIFSR`).
        case granted(localAddress: String)
        /// The network refuses (`fail-activation on`).
        case refused
    }

    init(configuration: EmulatorConfiguration) {
        profile = configuration.network
        failActivation = configuration.failActivation
        refuseConnects = configuration.refuseConnects
        allowList = configuration.allowList
        udpCloseDelay = configuration.udpCloseDelay
        timing = configuration.timing
        fixedActivationDelay = configuration.activationDelay
        fixedConnectDelay = configuration.connectDelay
        localAddress = configuration.localAddress
        (dataRandom, timingRandom, noiseRandom) = Self.streams(seed: configuration.seed)
    }

    /// Starts every random stream again from `seed` (a scenario's `seed`), as `--seed` would.
    func reseed(_ seed: UInt64) {
        (dataRandom, timingRandom, noiseRandom) = Self.streams(seed: seed)
    }

    private static func streams(seed: UInt64) -> (SeededRandom, SeededRandom, SeededRandom) {
        (SeededRandom(seed: seed, stream: 1), SeededRandom(seed: seed, stream: 2), SeededRandom(seed: seed, stream: 3))
    }

    /// The core's settings adjusted to this network: with realistic timing, PDP deactivation
    /// (`AT+CIPSHUT`) takes one signalling round trip, its mean on the configured network.
    func coreConfiguration(_ core: ModemConfiguration) -> ModemConfiguration {
        guard timing.connectRoundTrip else { return core }
        var core = core
        core.responseTimes.shut = profile.delay.lowerBound + profile.delay.upperBound
        return core
    }

    // MARK: - Signalling

    /// How long the network takes to activate a context (or a bearer) asked for now.
    func activationDelay() -> Duration {
        guard let range = timing.activation else { return fixedActivationDelay }
        return timingRandom.duration(in: range)
    }

    /// The network's answer when an activation's delay has passed: a fault switched on while it
    /// was under way still refuses it, as the network decides only when it answers.
    func activationOutcome() -> ActivationOutcome {
        failActivation ? .refused : .granted(localAddress: localAddress)
    }

    /// How long a link's connection attempt waits before its socket is opened: the configured
    /// `connectDelay` and, with realistic timing, one round trip (SYN, SYN-ACK).
    func connectDelay() -> Duration {
        fixedConnectDelay + realisticRoundTrip()
    }

    /// Whether a connection that cannot be made (refused, unreachable, unresolvable) is reported at
    /// once; with realistic timing the network stays silent and the module's own `AT+CIPSTART`
    /// timeout ends the attempt, as on a real module.
    var reportsFailedConnects: Bool { !timing.failAfterModuleTimeout }

    /// Whether a connection to `host` (as the host named it) that resolved to `address` may leave.
    func allows(host: String, address: String) -> Bool {
        allowList.allows(host: host, address: address)
    }

    /// How long a name lookup of `host` takes before its answer is given, or `nil` when the answer
    /// is given as soon as the resolver has it (an address, or instant timing).
    func lookupDelay(of host: String) -> Duration? {
        guard IPv4Address(host) == nil, timing.dns.upperBound > .zero || timing.connectRoundTrip else { return nil }
        return timingRandom.duration(in: timing.dns) + realisticRoundTrip()
    }

    /// An `AT+CIPPING` round trip as the host sees it: the time measured on the loopback and, with
    /// realistic timing, the network's round trip.
    func pingRoundTrip(measured: Duration) -> Duration {
        measured + realisticRoundTrip()
    }

    /// One network round trip (a latency each way from the current profile) with realistic
    /// timing; none with instant timing.
    private func realisticRoundTrip() -> Duration {
        guard timing.connectRoundTrip else { return .zero }
        return timingRandom.duration(in: profile.delay) + timingRandom.duration(in: profile.delay)
    }

    // MARK: - Link data

    /// Whether the network loses the next UDP datagram, in either direction.
    func losesDatagram() -> Bool {
        dataRandom.chance(profile.udpLoss)
    }

    /// The latency of the next chunk of link data.
    func latency() -> Duration {
        dataRandom.duration(in: profile.delay)
    }

    // MARK: - Line noise

    /// `count` random bytes of line noise (the same bytes for the same seed).
    func noise(count: Int) -> [UInt8] {
        (0..<max(0, count)).map { _ in UInt8.random(in: 0...255, using: &noiseRandom) }
    }
}
