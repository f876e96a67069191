import Foundation
import ModemEmulator
import ModemProtocol
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `modem tap` in front of `modem emulate`'s PTY (the emulator stands in for the real module).
@Suite(.enabled(if: modemExecutable != nil, "the modem executable is built with the tests"), .timeLimit(.minutes(1)))
struct TapTests {
    /// The standard session directly on the emulator: every reply.
    static func direct(port: Int) async throws -> [String] {
        try await UntouchedEmulator.run { emulator in
            let host = RecordingSession(ModemSession(stream: try await ByteStream.openTerminal(emulator.path)))
            try await host.standardSession(port: port)
            await host.session.stream.close()
            return host.replies
        }
    }

    @Test func aSessionThroughTheTapGetsTheSameRepliesAndTheTraceHoldsEveryByte() async throws {
        try await withServer(TestTCPServer.start()) { server in
            let expected = try await Self.direct(port: server.port)
            let trace = temporaryPath("tap") + ".trace"
            defer { unlink(trace) }
            try await UntouchedEmulator.run { emulator in
                let tap = try await HostLineProcess.start(
                    ["tap", "--device", emulator.path, "--pty", "--trace", trace, "--show"])
                let host = RecordingSession(try await tap.session())
                try await host.standardSession(port: server.port)
                #expect(host.replies == expected)
                let shown = try await tap.process.stderr!.read(until: "← CLOSE OK\n")
                #expect(shown.contains("→ AT+CIPSTATUS\n"), "\(shown)")
                #expect(shown.contains("← STATE: IP INITIAL\n"), "\(shown)")
                #expect(shown.contains("→ [5 bytes]\n"), "\(shown)")
                await host.session.stream.close()
                #expect(try await tap.process.stop() == 0)
                let records = try readTrace(trace)
                #expect(!records.contains { $0.kind == .other }, "\(records.filter { $0.kind == .other })")
                #expect(traceBytes(records, .host) == host.written)
                #expect(traceBytes(records, .module) == host.read)
                #expect(records.contains { $0.kind == .status && $0.state == "CONNECT OK" })
            }
        }
    }

    @Test func tinyGSMThroughTheTapAndAgainstItsReplayReturnsWhatItReturnsDirectly() async throws {
        try await withServer(TestTCPServer.start()) { server in
            let direct = try await UntouchedEmulator.run(TinyGSMSequenceTests.echoOn) { emulator in
                let session = ModemSession(stream: try await ByteStream.openTerminal(emulator.path))
                return try await Self.tinyGSM(session, port: server.port)
            }
            let trace = temporaryPath("tinygsm") + ".trace"
            defer { unlink(trace) }
            let tapped = try await UntouchedEmulator.run(TinyGSMSequenceTests.echoOn) { emulator in
                let tap = try await HostLineProcess.start(["tap", "--device", emulator.path, "--pty", "--trace", trace])
                defer { tap.process.process.terminate() }
                return try await Self.tinyGSM(try await tap.session(), port: server.port)
            }
            #expect(direct.values.prefix(4) == ["true", "true", "10.64.0.2", "true"], "\(direct.values)")
            #expect(tapped.values == direct.values)
            #expect(tapped.log == direct.log)
            // The same sequence against the replay of what the tap recorded.
            let replay = try await HostLineProcess.start(["replay", trace, "--pty", "--speed", "max"])
            let replayed = try await Self.tinyGSM(try await replay.session(), port: server.port)
            #expect(try await replay.process.stop() == 0)
            #expect(replayed.values == direct.values)
            #expect(replayed.log == direct.log)
            #expect(try await replay.process.stderr!.remainder() == "")
        }
    }

    /// TinyGSM's init, gprsConnect, connect, write, read and stop: what each returned, and every exchange.
    static func tinyGSM(_ session: ModemSession, port: Int) async throws -> (values: [String], log: [String]) {
        let gsm = TinyGSMHost(stream: session.stream)
        gsm.availabilityCheck = nil
        var values: [String] = []
        values.append("\(try await gsm.initModem())")
        // testAT() repeats AT every 200 ms until OK: how often depends on the machine's load, not the tap.
        gsm.clearLog()
        values.append("\(try await gsm.gprsConnect(apn: "internet", user: "user", password: "pass"))")
        values.append(try await gsm.getLocalIP())
        values.append("\(try await gsm.connect(0, host: "127.0.0.1", port: port))")
        values.append("\(try await gsm.write(0, Array("hello".utf8)))")
        try await gsm.waitForURC()
        values.append("\(try await gsm.available(0))")
        values.append(String(decoding: try await gsm.read(0, size: 5), as: UTF8.self))
        values.append("\(try await gsm.stop(0))")
        values.append("\(try await gsm.gprsDisconnect())")
        await session.stream.close()
        return (values, gsm.log.map(\.description))
    }

    @Test func listenTakesOneHostAtATime() async throws {
        try await UntouchedEmulator.run { emulator in
            let tap = try await HostLineProcess.start(["tap", "--device", emulator.path, "--listen", "0"])
            #expect(tap.address.hasPrefix("tcp://127.0.0.1:"), "\(tap.address)")
            let host = try await tap.session()
            try await host.command("AT")
            let second = try await tap.session()
            try await second.expect("busy")
            try await host.command("AT+CSQ", until: "+CSQ: 20,0\r\n\r\nOK\r\n")
            await host.stream.close()
            #expect(try await tap.process.stop() == 0)
        }
    }

    @Test func aSignalRemovesTheLink() async throws {
        let link = temporaryPath("tap-link")
        try await UntouchedEmulator.run { emulator in
            let tap = try await HostLineProcess.start(["tap", "--device", emulator.path, "--pty", "--link", link])
            let host = ModemSession(stream: try await ByteStream.openTerminal(link))
            try await host.command("AT")
            await host.stream.close()
            kill(tap.process.pid, SIGINT)
            #expect(try await tap.process.exitStatus() == 0)
            #expect(access(link, F_OK) != 0)
        }
    }

    @Test func aDeviceThatDoesNotExistIsOneLine() async throws {
        let run = try await runModem(["tap", "--device", "/dev/no-such-modem", "--pty"])
        #expect(run.status == 69, "\(run.error)")
        #expect(run.error.split(separator: "\n").count == 1, "\(run.error)")
        #expect(run.error.contains("/dev/no-such-modem"), "\(run.error)")
        let file = try await runModem(["tap", "--device", "/etc/hostname", "--pty"])
        #expect(file.status == 64 || file.status == 74 || file.status == 69, "\(file.error)")
        #expect(file.error.split(separator: "\n").count == 1, "\(file.error)")
    }
}
