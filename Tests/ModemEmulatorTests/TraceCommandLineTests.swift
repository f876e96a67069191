import Foundation
import ModemProtocol
import TestSupport
import Testing

/// `modem emulate --trace` and `modem trace show`, as a user runs them.
@Suite(.enabled(if: modemExecutable != nil, "the modem executable is built with the tests"), .timeLimit(.minutes(1)))
struct TraceCommandLineTests {
    /// A short session against an emulator that traces it.
    static func tracedSession() async throws -> String {
        let path = temporaryPath("session") + ".trace"
        try await Harness.run({ $0.modem.tracePath = path }) { harness in
            let host = harness.host
            try await host.command("AT")
            #expect(try await host.singleState() == "IP INITIAL")
            try await host.bringUp()
            try await host.command("AT+CSQ")
            try await host.command("AT+CIPMUX?")
        }
        return path
    }

    @Test func showPrintsTheConversation() async throws {
        let path = try await Self.tracedSession()
        defer { unlink(path) }
        let records = try readTrace(path)
        #expect(records.contains { $0.direction == .network && $0.kind == .event })
        let run = try await runModem(["trace", "show", path])
        #expect(run.status == 0, "\(run.error)")
        let lines = run.output.split(separator: "\n").map(String.init)
        #expect(lines.count == records.count)
        #expect(lines.contains { $0.hasSuffix("→ AT+CIPSTATUS") })
        #expect(lines.contains { $0.hasSuffix("← STATE: IP INITIAL   [? -> IP INITIAL]") }, "\(lines)")
        #expect(lines.contains { $0.hasSuffix("← +CSQ: 20,0") })
        #expect(lines.contains { $0.contains("· ") && $0.contains("activate PDP context") })
        #expect(lines.allSatisfy { $0.range(of: #"^ *\d+\.\d{3} [→←·] "#, options: .regularExpression) != nil })
    }

    @Test func jsonFilters() async throws {
        let path = try await Self.tracedSession()
        defer { unlink(path) }
        let records = try readTrace(path)
        let status = try await runModem(["trace", "show", path, "--json", "--only", "status,command"])
        let decoded = try status.output.split(separator: "\n").map {
            try JSONDecoder().decode(TraceRecord.self, from: Data($0.utf8))
        }
        #expect(decoded == records.filter { $0.kind == .status || $0.kind == .command })
        let middle = records[records.count / 2].time
        let window = try await runModem(["trace", "show", path, "--json", "--from", "\(Double(middle) / 1000)"])
        #expect(window.output.split(separator: "\n").count == records.filter { $0.time >= middle }.count)
        let badKind = try await runModem(["trace", "show", path, "--only", "nonsense"])
        #expect(badKind.status == 64)
    }

    @Test func aBrokenTraceNamesTheLine() async throws {
        let path = temporaryPath("broken") + ".trace"
        try "{\"t\":1,\"dir\":\"host\",\"kind\":\"command\",\"bytes\":\"AT\\r\"}\nnot json\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let run = try await runModem(["trace", "show", path])
        #expect(run.status == 65)
        #expect(run.error.contains("line 2"), "\(run.error)")
        let missing = try await runModem(["trace", "show", path + ".missing"])
        #expect(missing.status == 74)
    }

    /// At `--log-level debug` the log shows the conversation, one decoded step a line, without a trace file.
    @Test func debugLogShowsTheConversation() async throws {
        let link = temporaryPath("debug-tty")
        let process = try await ModemProcess.start(["emulate", "--pty", "--link", link, "--log-level", "debug"])
        defer { process.process.terminate() }
        _ = try await process.stdout!.read(until: "\n")
        let host = ModemSession(stream: try await ByteStream.openTerminal(link))
        try await host.command("AT+CSQ")
        let log = try await process.stderr!.read(until: "← OK")
        #expect(log.contains("→ AT+CSQ"), "\(log)")
        #expect(log.contains("← (echo) AT+CSQ"), "\(log)")
        #expect(log.contains("← +CSQ: 20,0"), "\(log)")
        await host.stream.close()
    }

    /// `--log-format json`: one JSON object a line, the conversation's steps among them.
    @Test func jsonLog() async throws {
        let link = temporaryPath("json-log-tty")
        let process = try await ModemProcess.start([
            "emulate", "--pty", "--link", link, "--log-level", "debug", "--log-format", "json",
        ])
        defer { process.process.terminate() }
        _ = try await process.stdout!.read(until: "\n")
        let host = ModemSession(stream: try await ByteStream.openTerminal(link))
        try await host.command("AT+CSQ")
        let log = try await process.stderr!.read(until: "← OK")
        let rest = try await process.stderr!.read(until: "\n")
        let objects = try (log + rest).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.allSatisfy { $0["time"] is String && $0["level"] is String && $0["label"] is String })
        let steps = objects.filter { $0["level"] as? String == "debug" }.compactMap { $0["message"] as? String }
        #expect(steps.contains { $0.hasSuffix("→ AT+CSQ") }, "\(steps)")
        #expect(objects.contains { ($0["metadata"] as? [String: String])?["modem"] == "0" })
        await host.stream.close()
    }
}
