import NIOCore

/// Plays a ``Scenario`` on one modem: arms its time triggers, watches host lines, states and link
/// byte counts for the others, and applies each change once, on the modem's event loop.
final class ScenarioRunner {
    private let scenario: Scenario
    private unowned let modem: VirtualModem
    private let start: NIODeadline
    private var fired: [Bool]
    private var tasks: [Scheduled<Void>] = []
    private var sent = [Int](repeating: 0, count: 6)
    private var received = [Int](repeating: 0, count: 6)
    /// Whether any trigger still waits on this kind of input.
    private(set) var watchesCommands = false
    private(set) var watchesStates = false
    private(set) var watchesBytes = false

    init(_ scenario: Scenario, modem: VirtualModem) {
        self.scenario = scenario
        self.modem = modem
        self.start = .now()
        self.fired = Array(repeating: false, count: scenario.events.count)
        for (index, event) in scenario.events.enumerated() {
            if case .at(let time) = event.trigger { arm(index, after: time) }
        }
        updateWatches()
    }

    func cancel() {
        for task in tasks { task.cancel() }
        tasks.removeAll()
        fired = fired.map { _ in true }
        updateWatches()
    }

    /// The state words the modem reports now (its own, and its links' in multi mode).
    func states(_ words: [String]) {
        for (index, event) in scenario.events.enumerated() where !fired[index] {
            if case .state(let word) = event.trigger, words.contains(word) { trigger(index) }
        }
    }

    func sent(link: Int, count: Int) {
        sent[link] += count
        checkBytes()
    }

    func received(link: Int, count: Int) {
        received[link] += count
        checkBytes()
    }

    /// A command line the host sent (the core reports them while a scenario watches commands).
    func commandLine(_ line: String) {
        let text = line.uppercased()
        for (index, event) in scenario.events.enumerated() where !fired[index] {
            if case .command(let prefix) = event.trigger, text.hasPrefix(prefix) { trigger(index) }
        }
    }

    private func checkBytes() {
        for (index, event) in scenario.events.enumerated() where !fired[index] {
            switch event.trigger {
            case .sent(let link, let bytes) where sent[link] >= bytes: trigger(index)
            case .received(let link, let bytes) where received[link] >= bytes: trigger(index)
            default: continue
            }
        }
    }

    private func trigger(_ index: Int) {
        arm(index, after: scenario.events[index].delay)
    }

    private func arm(_ index: Int, after delay: Duration) {
        fired[index] = true
        updateWatches()
        let event = scenario.events[index]
        let deadline: NIODeadline
        if case .at = event.trigger { deadline = start + delay.timeAmount } else { deadline = .now() + delay.timeAmount }
        tasks.append(
            modem.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [modem] in
                modem.apply(event.change, line: event.line)
            })
    }

    private func updateWatches() {
        var commands = false
        var states = false
        var bytes = false
        for (index, event) in scenario.events.enumerated() where !fired[index] {
            switch event.trigger {
            case .at: break
            case .command: commands = true
            case .state: states = true
            case .sent, .received: bytes = true
            }
        }
        watchesCommands = commands
        watchesStates = states
        watchesBytes = bytes
    }
}
