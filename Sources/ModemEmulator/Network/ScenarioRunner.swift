import ModemCore
import ModemProtocol
import NIOCore

/// Where one modem is in playing a ``Scenario``: which events have been triggered, when each
/// triggered change is due, and the byte counts `sent` and `received` triggers wait on.
///
/// A state machine without a clock: the runtime tells it what the modem did and what time it is,
/// asks for the ``nextDeadline``, and at that time takes the changes ``due(at:)`` and carries them
/// out itself. Each event fires once; changes due at the same time come in the order they were
/// triggered.
struct ScenarioRunner {
    private let scenario: Scenario
    private let start: NIODeadline
    private var triggered: [Bool]
    /// Triggered changes not yet taken, in the order they were triggered.
    private var armed: [(deadline: NIODeadline, event: Scenario.Event)] = []
    private var sent = [Int](repeating: 0, count: ModuleFamily.maximumLinkCount)
    private var received = [Int](repeating: 0, count: ModuleFamily.maximumLinkCount)
    /// Whether an event not yet triggered waits on the modem's state words.
    private(set) var watchesStates = false
    /// Whether an event not yet triggered waits on a link's byte count.
    private(set) var watchesBytes = false

    /// Starts `scenario` at `start`: its `at` events are due that long after it.
    init(_ scenario: Scenario, start: NIODeadline) {
        self.scenario = scenario
        self.start = start
        self.triggered = Array(repeating: false, count: scenario.events.count)
        for (index, event) in scenario.events.enumerated() {
            if case .at(let time) = event.trigger { arm(index, deadline: start + time.timeAmount) }
        }
        updateWatches()
    }

    /// When the earliest triggered change is due, if one waits.
    var nextDeadline: NIODeadline? {
        armed.lazy.map(\.deadline).min()
    }

    /// Takes the triggered changes due by `now`, earliest first.
    mutating func due(at now: NIODeadline) -> [Scenario.Event] {
        let due = armed.enumerated().filter { $0.element.deadline <= now }
            .sorted { ($0.element.deadline, $0.offset) < ($1.element.deadline, $1.offset) }
        armed.removeAll { $0.deadline <= now }
        return due.map(\.element.event)
    }

    /// The state words the modem reports now (its own, and its links' in multi mode).
    mutating func states(_ words: [String], at now: NIODeadline) {
        for (index, event) in scenario.events.enumerated() where !triggered[index] {
            if case .state(let word) = event.trigger, words.contains(word) { trigger(index, at: now) }
        }
    }

    /// The modem wrote `count` bytes to link `link`'s socket.
    mutating func sent(link: Int, count: Int, at now: NIODeadline) {
        sent[link] += count
        checkBytes(at: now)
    }

    /// Link `link`'s socket delivered `count` bytes to the modem.
    mutating func received(link: Int, count: Int, at now: NIODeadline) {
        received[link] += count
        checkBytes(at: now)
    }

    /// A command line the host sent.
    mutating func commandLine(_ line: String, at now: NIODeadline) {
        let text = line.uppercased()
        for (index, event) in scenario.events.enumerated() where !triggered[index] {
            if case .command(let prefix) = event.trigger, text.hasPrefix(prefix) { trigger(index, at: now) }
        }
    }

    private mutating func checkBytes(at now: NIODeadline) {
        for (index, event) in scenario.events.enumerated() where !triggered[index] {
            switch event.trigger {
            case .sent(let link, let bytes) where sent[link] >= bytes: trigger(index, at: now)
            case .received(let link, let bytes) where received[link] >= bytes: trigger(index, at: now)
            default: continue
            }
        }
    }

    private mutating func trigger(_ index: Int, at now: NIODeadline) {
        arm(index, deadline: now + scenario.events[index].delay.timeAmount)
        updateWatches()
    }

    private mutating func arm(_ index: Int, deadline: NIODeadline) {
        triggered[index] = true
        armed.append((deadline, scenario.events[index]))
    }

    private mutating func updateWatches() {
        var states = false
        var bytes = false
        for (index, event) in scenario.events.enumerated() where !triggered[index] {
            switch event.trigger {
            case .at, .command: break
            case .state: states = true
            case .sent, .received: bytes = true
            }
        }
        watchesStates = states
        watchesBytes = bytes
    }
}
