import ArgumentParser
import ModemEmulator

/// `--net-up KBIT`, `--net-down KBIT`: a link's bandwidth in kbit/s, 0 for unlimited, by the rule
/// of ``NetworkProfile/apply(key:value:)`` (the same as `modem ctl network up=KBIT`).
struct Bandwidth: ExpressibleByArgument {
    /// kbit/s; `nil` is unlimited.
    let kbit: Double?

    init?(argument: String) {
        var profile = NetworkProfile.ideal
        guard (try? profile.apply(key: "up", value: argument)) != nil else { return nil }
        kbit = profile.uplinkKbit
    }
}

/// `--net-delay MS[:MS]`: one-way latency, fixed or drawn from a range (``NetworkProfile/delayRange(_:)``).
struct Latency: ExpressibleByArgument {
    let range: ClosedRange<Duration>

    init?(argument: String) {
        guard let range = try? NetworkProfile.delayRange(argument) else { return nil }
        self.range = range
    }
}

/// `--udp-loss P`: the fraction (0–1) of UDP datagrams lost in each direction, by the rule of
/// ``NetworkProfile/apply(key:value:)``.
struct UDPLoss: ExpressibleByArgument {
    let fraction: Double

    init?(argument: String) {
        var profile = NetworkProfile.ideal
        guard (try? profile.apply(key: "loss", value: argument)) != nil else { return nil }
        fraction = profile.udpLoss
    }
}
