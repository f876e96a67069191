import Foundation
import ModemEmulator
import ModemProtocol
import TestSupport
import Testing

/// Scenario files: checked in full before anything runs, and played the same way for the same seed.
@Suite(.timeLimit(.minutes(1)))
struct ScenarioTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/scenarios")

    @Test(arguments: ["flaky-rural-gprs", "pdp-drop-during-upload", "server-refuses-for-a-minute"])
    func workedExamplesAreValid(name: String) throws {
        let scenario = try Scenario.load(path: Self.examples.appendingPathComponent("\(name).json").path)
        #expect(!scenario.events.isEmpty)
    }

    @Test func aValidScenarioParsesToItsEvents() throws {
        let scenario = try Scenario.parse(
            """
            {"seed": 5, "events": [
              {"at": "1.5s", "do": "network", "set": {"delay": "100:200", "preset": "edge"}},
              {"after": {"sent": {"link": 3, "bytes": 1000}}, "delay": "2s", "do": "remote-close", "link": 3},
              {"after": {"state": "PDP DEACT"}, "do": "fail-activation", "on": false}
            ]}
            """)
        #expect(scenario.seed == 5)
        #expect(
            scenario.events == [
                .init(line: 2, trigger: .at(.milliseconds(1500)), delay: .zero, change: .network(["preset=edge", "delay=100:200"])),
                .init(line: 3, trigger: .sent(link: 3, bytes: 1000), delay: .seconds(2), change: .remoteClose(link: 3)),
                .init(line: 4, trigger: .state("PDP DEACT"), delay: .zero, change: .failActivation(false)),
            ])
    }

    /// Each bad file is rejected with the line of the fault and a reason that says what is wrong.
    @Test(arguments: [
        ("{\"events\": [\n  {\"at\": \"1s\", \"do\": \"reset\"}\n  {\"at\": \"2s\", \"do\": \"reset\"}\n]}", 3, "expected ',' or ']'"),
        ("{\"events\": [\n  {\"after\": {\"packet\": 1}, \"do\": \"reset\"}\n]}", 2, "unknown event \"packet\""),
        ("{\"events\": [\n  {\"at\": \"1s\",\n   \"do\": \"explode\"}\n]}", 3, "unknown action \"explode\""),
        ("{\"events\": [\n  {\"after\": {\"command\": \"AT\"},\n   \"delay\": \"-2s\", \"do\": \"reset\"}\n]}", 3, "negative"),
        ("{\"events\": [\n  {\"at\": \"1s\", \"do\": \"remote-close\",\n   \"link\": 8}\n]}", 3, "from 0 to 7"),
        ("{\"events\": [\n  {\"after\": {\"sent\": {\"link\": 9, \"bytes\": 5}}, \"do\": \"pdp-drop\"}\n]}", 2, "from 0 to 7"),
        ("{\"events\": [\n  {\"at\": \"1s\", \"do\": \"network\", \"set\": \"4g\"}\n]}", 2, "unknown network preset '4g'"),
        ("{\"events\": [\n  {\"after\": {\"state\": \"CONNECTED OK\"}, \"do\": \"reset\"}\n]}", 2, "state word"),
        ("{\"events\": [\n  {\"at\": \"1s\", \"do\": \"signal\", \"rssi\": 40}\n]}", 2, "0–31 or 99"),
        ("{\"events\": [\n  {\"at\": \"1s\", \"do\": \"reset\", \"link\": 0}\n]}", 2, "does not apply"),
        ("{\"events\": [\n  {\"do\": \"reset\"}\n]}", 2, "needs \"at\""),
        ("{\"events\": [\n  {\"at\": \"soon\", \"do\": \"reset\"}\n]}", 2, "not a duration"),
        ("{\"seed\": 1}", 1, "missing \"events\""),
        ("{\"seed\": 9007199254740993, \"events\": []}", 1, "from 0 to 2^53 - 1"),
        ("", 1, "empty"),
        ("{\"events\": [\n  {\"at\": \"1s\", \"do\": \"reset\"}", 2, "before the end of the file"),
    ])
    func badScenarioIsRejected(text: String, line: Int, reason: String) {
        do {
            _ = try Scenario.parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
        }
    }

    /// `modem emulate --scenario` with a bad file exits with a usage error and the line, and starts nothing.
    @Test(.enabled(if: modemExecutable != nil)) func commandLineRejectsABadFile() async throws {
        let path = temporaryPath("bad-scenario") + ".json"
        try "{\"events\": [\n  {\"at\": \"1s\", \"do\": \"remote-close\", \"link\": 8}\n]}".write(
            toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let link = temporaryPath("bad-scenario-tty")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: modemExecutable!)
        process.arguments = ["emulate", "--pty", "--link", link, "--scenario", path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        let exited = AsyncStream.makeStream(of: (Int32, Process.TerminationReason).self)
        process.terminationHandler = { exited.continuation.yield(($0.terminationStatus, $0.terminationReason)) }
        try process.run()
        let stderr = try await ByteStream.reading(descriptor: dup(errors.fileHandleForReading.fileDescriptor))
        let message = try await stderr.read(until: "\n")
        var result: (Int32, Process.TerminationReason)?
        for await value in exited.stream {
            result = value
            break
        }
        #expect(result?.1 == .exit)
        #expect(result?.0 == 64)
        #expect(message.contains("line 2"), "\(message)")
        #expect(message.contains("from 0 to 7"), "\(message)")
        #expect(access(link, F_OK) != 0)
    }

    /// The same scenario with the same seed, driven by the same host session, writes the same
    /// trace twice (timestamps and chunking aside); another seed gives other noise.
    @Test func sameSeedGivesTheSameTrace() async throws {
        let scenario = try Scenario.parse(
            """
            {"seed": 42, "events": [
              {"after": {"command": "AT+CREG=1"}, "delay": "20ms", "do": "registration", "registered": false},
              {"after": {"command": "AT+CSQ"}, "delay": "20ms", "do": "noise", "bytes": 48},
              {"after": {"command": "AT+CIFSR"}, "do": "signal", "rssi": 7},
              {"after": {"state": "IP STATUS"}, "do": "network", "set": "edge"}
            ]}
            """)
        var first = try await Self.session(scenario)
        let second = try await Self.session(scenario)
        #expect(first.trace == second.trace)
        #expect(first.noise == second.noise)
        #expect(first.trace.contains { $0.hasPrefix("module") && $0.contains("+CSQ: 7,0") })
        first = try await Self.session(Scenario(seed: 43, events: scenario.events))
        #expect(first.noise != second.noise)
    }

    /// Runs one scripted host session under `scenario`; returns the trace with timestamps dropped and
    /// consecutive chunks of one direction joined, and the noise bytes.
    static func session(_ scenario: Scenario) async throws -> (trace: [String], noise: [UInt8]) {
        let path = temporaryPath("scenario-trace")
        defer { unlink(path) }
        var noise: [UInt8] = []
        try await Harness.run({
            $0.modem.scenario = scenario
            $0.modem.tracePath = path
        }) { harness in
            let host = harness.host
            try await host.command("AT+CREG=1")
            try await host.expect("\r\n+CREG: ")
            try await host.expect("\r\n")
            try await host.command("AT+CSQ")
            noise = try await host.stream.read(count: 48)
            try await host.bringUp()
            try await host.command("AT+CSQ")
            #expect(try await harness.modem.network() == .edge)
        }
        // Network events and timestamps aside, consecutive records of one direction joined.
        var joined: [(String, String)] = []
        for record in try readTrace(path) where record.direction != .network {
            let direction = record.direction.rawValue
            let text = TraceRecord.latin1(record.bytes)
            if let last = joined.last, last.0 == direction {
                joined[joined.count - 1].1 += text
            } else {
                joined.append((direction, text))
            }
        }
        return (joined.map { "\($0.0) \($0.1)" }, noise)
    }

}
