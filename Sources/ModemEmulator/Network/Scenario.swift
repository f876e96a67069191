/// A declarative timeline of network changes and faults (`--scenario FILE`, `modem ctl scenario`).
///
/// A JSON object: `{"seed": 7, "events": [ ... ]}`. Each event fires once, at a time after the
/// scenario starts (`"at": "5s"`) or a delay after something happens (`"after": {...}, "delay": "2s"`),
/// and applies one change (`"do": ...`). The reference, with worked examples, is `docs/network.md`.
/// ``parse(_:)`` checks everything before anything runs; an error names the line and the reason.
public struct Scenario: Sendable, Equatable {
    /// Reseeds the emulator's random choices when the scenario starts.
    public var seed: UInt64?
    public var events: [Event]

    public struct Event: Sendable, Equatable {
        /// The line of the file where the event starts.
        public var line: Int
        public var trigger: Trigger
        /// Time between the trigger and the change (0 for `at`).
        public var delay: Duration
        public var change: Change

        public init(line: Int, trigger: Trigger, delay: Duration = .zero, change: Change) {
            self.line = line
            self.trigger = trigger
            self.delay = delay
            self.change = change
        }
    }

    public enum Trigger: Sendable, Equatable {
        /// This long after the scenario started.
        case at(Duration)
        /// The host wrote a command line that starts with this text (compared in upper case).
        case command(String)
        /// `AT+CIPSTATUS` would report this state word: the modem's, or any link's in multi mode.
        case state(String)
        /// The modem has sent at least `bytes` on link `link` since the scenario started.
        case sent(link: Int, bytes: Int)
        /// The modem has received at least `bytes` on link `link` since the scenario started.
        case received(link: Int, bytes: Int)
    }

    public enum Change: Sendable, Equatable {
        /// Network settings applied in order (`preset=gprs`, `delay=300:900`, ...; see ``NetworkProfile/apply(_:)``).
        case network([String])
        /// The network drops the PDP context (`+PDP: DEACT`).
        case pdpDrop
        /// The peer of link `n` closes.
        case remoteClose(link: Int)
        case refuseConnects(Bool)
        case failActivation(Bool)
        /// Network registration lost (`false`) or regained (`+CREG`/`+CGREG` URCs when enabled).
        case registration(Bool)
        /// The signal quality (`AT+CSQ` RSSI 0–31, 99 unknown) changes.
        case signal(rssi: Int)
        /// The module reboots.
        case reset
        /// Random bytes on the serial line.
        case noise(bytes: Int)
    }

    public init(seed: UInt64? = nil, events: [Event]) {
        self.seed = seed
        self.events = events
    }
}

/// Why a scenario was rejected: the line (1-based) and what was wrong.
public struct ScenarioError: Error, Equatable, CustomStringConvertible {
    public var line: Int?
    public var reason: String

    public var description: String {
        line.map { "line \($0): \(reason)" } ?? reason
    }
}
