import Foundation
import ModemEmulator
import ModemProtocol
import NIOPosix
import TestSupport
import Testing

@testable import ModemClient

/// `modem at`, run as a user runs it against `modem emulate --listen` or a scripted module: it
/// prints the outcome that follows the final result, sends the data of `AT+CIPSEND`, and a timeout
/// says what did arrive.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ATCommandLineTests {
    static func run(_ arguments: [String], input: String? = nil) async throws -> ModemRun {
        try await runModem(arguments, input: input)
    }

    /// An emulator with the context up (single mode), and `modem at --tcp HOST:PORT` for it.
    static func withAttachedEmulator(_ body: @Sendable (Emulator, [String]) async throws -> Void) async throws {
        let (emulator, endpoint) = try await EmulatorEndToEndTests.startEmulator(
            .listen(host: "127.0.0.1", port: 0), dialect: .sim800)
        try await withCleanup {
            guard case .tcp(let host, let port) = endpoint else { return }
            let setup = try await ModemClient.open(endpoint)
            try await setup.probe()
            _ = try await setup.attach(apn: "internet")
            await setup.disconnect()
            try await body(emulator, ["at", "--tcp", "\(host):\(port)"])
        } cleanup: {
            await emulator.shutdown()
        }
    }

    @Test func cipstartPrintsConnectOKThenSendPrintsSendOK() async throws {
        try await Self.withAttachedEmulator { _, at in
            // A silent remote peer (it stops once the link connected to it).
            try await withServer(ScriptedPeer.start { _ in .silence }) { peer in
                try await Self.connectAndSend(at, peer)
            }
        }
    }

    /// `AT+CIPSTART` to `peer`, two sends, and `AT+CIPSTART` again.
    static func connectAndSend(_ at: [String], _ peer: ScriptedPeer) async throws {
        let connect = try await Self.run(at + [#"AT+CIPSTART="TCP","127.0.0.1",\#(peer.port)"#])
        #expect(connect.status == 0, "\(connect.error)")
        #expect(connect.output == "OK\nCONNECT OK\n")
        let send = try await Self.run(at + ["--data", "hello", "AT+CIPSEND=5"])
        #expect(send.status == 0, "\(send.error)")
        #expect(send.output == "SEND OK\n")
        // The Ctrl-Z form, its data on standard input (the module echoes it).
        let piped = try await Self.run(at + ["AT+CIPSEND"], input: "hi")
        #expect(piped.status == 0, "\(piped.error)")
        #expect(piped.output.hasSuffix("SEND OK\n"))
        // The same link again: ERROR, then ALREADY CONNECT; the link is up.
        let again = try await Self.run(at + [#"AT+CIPSTART="TCP","127.0.0.1",\#(peer.port)"#])
        #expect(again.status == 0 && again.output == "ERROR\nALREADY CONNECT\n", "\(again)")
    }

    @Test func cipstartPrintsConnectFailWhenRefused() async throws {
        try await Self.withAttachedEmulator { emulator, at in
            try await emulator.modems[0].setRefuseConnects(true)
            let connect = try await Self.run(at + [#"AT+CIPSTART="TCP","127.0.0.1",9"#])
            #expect(connect.status == 1)
            #expect(connect.output == "OK\nSTATE: TCP CLOSED\nCONNECT FAIL\n")
            #expect(connect.error.contains("failed: CONNECT FAIL"), "\(connect.error)")
        }
    }

    @Test func cdnsgipAndCipserverPrintTheirOutcome() async throws {
        try await Self.withAttachedEmulator { _, at in
            let lookup = try await Self.run(at + [#"AT+CDNSGIP="localhost""#])
            #expect(lookup.status == 0, "\(lookup.error)")
            #expect(lookup.output.hasPrefix("OK\n+CDNSGIP: 1,\"localhost\","), "\(lookup.output)")
            // A port that was free a moment ago.
            let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: 0).get()
            let port = try #require(probe.localAddress?.port)
            try await probe.close()
            let open = try await Self.run(at + ["AT+CIPSERVER=1,\(port)"])
            #expect(open.status == 0 && open.output == "OK\nSERVER OK\n", "\(open)")
            let close = try await Self.run(at + ["AT+CIPSERVER=0"])
            #expect(close.status == 0 && close.output == "OK\nSERVER CLOSE\n", "\(close)")
        }
    }

    /// `--data-file` and quick send (`AT+CIPQSEND=1`: `DATA ACCEPT:<n>`) against the emulator.
    @Test func dataFileAndQuickSend() async throws {
        try await Self.withAttachedEmulator { _, at in
            try await withServer(ScriptedPeer.start { _ in .silence }) { peer in
                let connect = try await Self.run(at + [#"AT+CIPSTART="TCP","127.0.0.1",\#(peer.port)"#])
                #expect(connect.output == "OK\nCONNECT OK\n", "\(connect)")
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("at-data-\(peer.port)").path
                try Array("from a file".utf8).withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: file)) }
                defer { try? FileManager.default.removeItem(atPath: file) }
                let send = try await Self.run(at + ["--data-file", file, "AT+CIPSEND=11"])
                #expect(send.status == 0 && send.output == "SEND OK\n", "\(send)")
                #expect(try await Self.run(at + ["AT+CIPQSEND=1"]).output == "OK\n")
                let quick = try await Self.run(at + ["--data", "quick", "AT+CIPSEND=5"])
                #expect(quick.status == 0 && quick.output == "DATA ACCEPT:5\n", "\(quick)")
                let missing = try await Self.run(at + ["--data-file", file + ".missing", "AT+CIPSEND=5"])
                #expect(missing.status != 0 && missing.error.contains("Cannot read --data-file"), "\(missing)")
            }
        }
    }

    /// The scripted module stops although no client ever connected (it used to wait for one).
    @Test func scriptedPeerStopsUnused() async throws {
        let peer = try await ScriptedPeer.start { _ in .silence }
        await peer.stop()
        let refused = try await Self.run(["at", "--tcp", "127.0.0.1:\(peer.port)", "AT"])
        #expect(refused.status == 69, "nothing listens any more: \(refused)")
    }

    /// A module that takes the data (the script reads its five bytes before answering) and then
    /// reports `SEND FAIL`: printed, and the exit status says so.
    @Test func sendFailIsPrintedAndFails() async throws {
        try await withServer(ScriptedPeer.start { line in
            switch line {
            case "AT": .text(framed("OK"))
            case "AT+CIPMUX?": .text(framed("+CIPMUX: 0", "OK"))
            default: ScriptStep(reply: Array("\r\n> ".utf8), readData: 5, afterData: Array("\r\nSEND FAIL\r\n".utf8))
            }
        }) { peer in
            let send = try await Self.run(["at", "--tcp", "127.0.0.1:\(peer.port)", "--data", "hello", "AT+CIPSEND=5"])
            #expect(send.status == 1, "\(send)")
            #expect(send.output == "SEND FAIL\n", "\(send)")
            #expect(send.error.contains("AT+CIPSEND=5 failed"), "\(send.error)")
        }
    }

    /// A module that answers `OK` to `AT+CIPSTART` and then nothing, and one that prompts for data
    /// and then says nothing: the timeout names the command and what did arrive.
    @Test func timeoutSaysWhatArrived() async throws {
        // Every line, AT+CIPSTART too, is answered with OK, and nothing follows.
        try await withServer(ScriptedPeer.start { _ in .text(framed("OK")) }) { peer in
            let at = ["at", "--tcp", "127.0.0.1:\(peer.port)", "--timeout", "0.3"]
            let connect = try await Self.run(at + [#"AT+CIPSTART="TCP","10.0.0.1",80"#])
            #expect(connect.status == 69)
            let expected = #"No reply to AT+CIPSTART="TCP","10.0.0.1",80 in time (received: OK)"#
            #expect(connect.error.contains(expected), "\(connect.error)")
        }
        try await withServer(ScriptedPeer.start { line in
            switch line {
            case "AT": .text(framed("OK"))
            case "AT+CIPMUX?": .text(framed("+CIPMUX: 0", "OK"))
            default: ScriptStep(reply: Array("\r\n> ".utf8), readData: 5)
            }
        }) { peer in
            let at = ["at", "--tcp", "127.0.0.1:\(peer.port)", "--timeout", "0.3"]
            let send = try await Self.run(at + ["--data", "hello", "AT+CIPSEND=5"])
            #expect(send.status == 69)
            #expect(send.error.contains("No reply to AT+CIPSEND=5 in time (received: > )"), "\(send.error)")
        }
    }

    /// `AT+CIPSEND` without data, or with data that does not fit, is a usage error before anything
    /// is sent (nothing listens on port 1: an attempt to connect would exit with 69).
    @Test func sendWithoutFittingDataIsAUsageError() async throws {
        let at = ["at", "--tcp", "127.0.0.1:1"]
        let none = try await Self.run(at + ["AT+CIPSEND=5"])
        #expect(none.status == 64)
        #expect(none.error.contains("AT+CIPSEND=5 needs data: give --data TEXT, --data-file FILE"), "\(none.error)")
        let notSend = try await Self.run(at + ["--data", "x", "AT+CSQ"])
        #expect(notSend.status == 64 && notSend.error.contains("for AT+CIPSEND only"))
        let help = try await Self.run(["at", "--help"])
        #expect(help.output.contains("--data-file") && help.output.contains("CONNECT OK"))
    }
}
