import Foundation
import ModemEmulator
import ModemProtocol
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `modem replay` of a session recorded through `modem tap` in front of the emulator.
@Suite(.enabled(if: modemExecutable != nil, "the modem executable is built with the tests"), .timeLimit(.minutes(1)))
struct ReplayTests {
    /// Records the standard session through the tap; returns the trace's path and the replies.
    static func record(port: Int) async throws -> (path: String, replies: [String]) {
        let trace = temporaryPath("replay") + ".trace"
        return try await UntouchedEmulator.run { emulator in
            let tap = try await HostLineProcess.start(["tap", "--device", emulator.path, "--pty", "--trace", trace])
            let host = RecordingSession(try await tap.session())
            try await host.standardSession(port: port)
            await host.session.stream.close()
            #expect(try await tap.process.stop() == 0)
            return (trace, host.replies)
        }
    }

    @Test func theReplayAnswersTheSameSessionAsTheModuleDid() async throws {
        try await withServer(TestTCPServer.start()) { server in
            let recorded = try await Self.record(port: server.port)
            defer { unlink(recorded.path) }
            let replay = try await HostLineProcess.start(["replay", recorded.path, "--pty", "--speed", "max"])
            let host = RecordingSession(try await replay.session())
            try await host.standardSession(port: server.port)
            #expect(host.replies == recorded.replies)
            await host.session.stream.close()
            #expect(try await replay.process.stop() == 0)
            #expect(try await replay.process.stderr!.remainder() == "")
        }
    }

    @Test func aChangedCommandIsReportedAndAnsweredError() async throws {
        try await withServer(TestTCPServer.start()) { server in
            let recorded = try await Self.record(port: server.port)
            defer { unlink(recorded.path) }
            let records = try readTrace(recorded.path)
            let index = try #require(records.firstIndex { $0.kind == .command && $0.name == "+CIPSTATUS" })
            let replay = try await HostLineProcess.start(["replay", recorded.path, "--listen", "0", "--speed", "max"])
            let host = try await replay.session()
            try await host.command("AT")
            try await host.command("AT+CSQ", until: "\r\nERROR\r\n")
            let report = try await replay.process.stderr!.read(until: "\n")
            #expect(report.contains("record \(index) (line \(index + 1))"), "\(report)")
            #expect(report.contains("expected command \"AT+CIPSTATUS\""), "\(report)")
            #expect(report.contains("received command \"AT+CSQ\""), "\(report)")
            // Still at the same place: the recorded command is answered as recorded.
            try await host.command("AT+CIPSTATUS", until: "STATE: IP INITIAL\r\n")
            await host.stream.close()
            #expect(try await replay.process.stop() == 0)
        }
    }

    @Test func stopExits65() async throws {
        try await withServer(TestTCPServer.start()) { server in
            let recorded = try await Self.record(port: server.port)
            defer { unlink(recorded.path) }
            let replay = try await HostLineProcess.start(
                ["replay", recorded.path, "--pty", "--speed", "max", "--on-divergence", "stop"])
            let host = try await replay.session()
            try await host.command("AT")
            try await host.send("AT+CGMI")
            #expect(try await replay.process.exitStatus() == 65)
            let error = try await replay.process.stderr!.remainder()
            #expect(error.contains("expected command \"AT+CIPSTATUS\", received command \"AT+CGMI\""), "\(error)")
            await host.stream.close()
        }
    }

    @Test func aFileThatIsNotATraceNamesTheLine() async throws {
        let path = temporaryPath("not-a-trace")
        try "{\"t\":1,\"dir\":\"host\",\"kind\":\"command\",\"bytes\":\"AT\\r\"}\nhello\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let run = try await runModem(["replay", path, "--pty"])
        #expect(run.status == 65)
        #expect(run.error.contains("line 2"), "\(run.error)")
        #expect(run.error.split(separator: "\n").count == 1, "\(run.error)")
    }
}
