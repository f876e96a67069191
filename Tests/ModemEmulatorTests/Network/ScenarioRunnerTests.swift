import NIOCore
import Testing

@testable import ModemEmulator

/// The scenario runner as a state machine: told what the modem did and what time it is, it says
/// which changes are due and when the next one is. No event loop, no sleeping.
struct ScenarioRunnerTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func time(_ milliseconds: Int64) -> NIODeadline { start + .milliseconds(milliseconds) }

    static func event(_ line: Int, _ trigger: Scenario.Trigger, delay: Duration = .zero) -> Scenario.Event {
        Scenario.Event(line: line, trigger: trigger, delay: delay, change: .signal(rssi: line))
    }

    @Test func timedEventsAreDueThatLongAfterTheStart() {
        var runner = ScenarioRunner(
            Scenario(events: [Self.event(1, .at(.seconds(2))), Self.event(2, .at(.seconds(1)))]), start: Self.start)
        #expect(runner.nextDeadline == Self.time(1000))
        #expect(runner.due(at: Self.time(999)).isEmpty)
        #expect(runner.due(at: Self.time(1000)).map(\.line) == [2])
        #expect(runner.nextDeadline == Self.time(2000))
        #expect(runner.due(at: Self.time(5000)).map(\.line) == [1])
        #expect(runner.nextDeadline == nil)
        #expect(runner.due(at: Self.time(9000)).isEmpty)
    }

    @Test func aCommandTriggersItsChangeOnceAfterTheDelay() {
        var runner = ScenarioRunner(
            Scenario(events: [Self.event(1, .command("AT+CIPSEND"), delay: .milliseconds(20))]), start: Self.start)
        runner.commandLine("AT+CSQ", at: Self.time(10))
        #expect(runner.nextDeadline == nil)
        runner.commandLine("at+cipsend=1,5", at: Self.time(100))
        runner.commandLine("AT+CIPSEND=1,5", at: Self.time(200))
        #expect(runner.nextDeadline == Self.time(120))
        #expect(runner.due(at: Self.time(300)).map(\.line) == [1])
        #expect(runner.nextDeadline == nil)
    }

    @Test func changesDueTogetherComeInTheOrderTheyWereTriggered() {
        var runner = ScenarioRunner(
            Scenario(events: [
                Self.event(1, .state("IP STATUS"), delay: .milliseconds(50)), Self.event(2, .at(.milliseconds(50))),
                Self.event(3, .state("IP GPRSACT")),
            ]), start: Self.start)
        runner.states(["IP GPRSACT"], at: Self.time(0))
        #expect(runner.watchesStates)
        runner.states(["IP STATUS"], at: Self.time(0))
        #expect(!runner.watchesStates)
        #expect(runner.due(at: Self.time(50)).map(\.line) == [3, 2, 1])
    }

    @Test func byteCountsAddUpPerLinkAndDirection() {
        var runner = ScenarioRunner(
            Scenario(events: [
                Self.event(1, .sent(link: 2, bytes: 100)), Self.event(2, .received(link: 2, bytes: 100)),
            ]), start: Self.start)
        #expect(runner.watchesBytes)
        runner.sent(link: 2, count: 60, at: Self.time(1))
        runner.received(link: 1, count: 500, at: Self.time(2))
        runner.sent(link: 3, count: 500, at: Self.time(3))
        #expect(runner.nextDeadline == nil)
        runner.sent(link: 2, count: 40, at: Self.time(4))
        #expect(runner.due(at: Self.time(4)).map(\.line) == [1])
        #expect(runner.watchesBytes)
        runner.received(link: 2, count: 100, at: Self.time(5))
        #expect(!runner.watchesBytes)
        #expect(runner.due(at: Self.time(5)).map(\.line) == [2])
    }
}
