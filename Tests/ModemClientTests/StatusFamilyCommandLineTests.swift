import Foundation
import ModemEmulator
import ModemProtocol
import TestSupport
import Testing

/// `modem status` against scripted modules that answer with the bytes of real captures (the
/// transcript corpus, Tests/ModemProtocolTests/Fixtures/transcripts): eight links, garbled lines,
/// and the write form `--link N` (issue 12), run as a user runs the binary.
@Suite(.timeLimit(.minutes(1)))
struct StatusFamilyCommandLineTests {
    /// Runs `modem` and returns its exit status, standard output and standard error.
    static func run(_ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
        let run = try await runModem(arguments)
        return (run.status, run.output, run.error)
    }

    /// A module in multi mode that answers `AT+CIPSTATUS` with `reply` and its link range with `(0-last)`.
    static func module(last: Int, reply: String, link: String = "") async throws -> ScriptedPeer {
        try await ScriptedPeer.start { line in
            switch line {
            case "AT": .text(framed("OK"))
            case "AT+CIPMUX?": .text(framed("+CIPMUX: 1", "OK"))
            case "AT+CIPSTART=?": .text(framed("+CIPSTART: (0-\(last)),(\"TCP\",\"UDP\")", "OK"))
            case "AT+CIPSTATUS": .text(reply)
            case let line where line.hasPrefix("AT+CIPSTATUS="): .text(link)
            default: .text(framed("ERROR"))
            }
        }
    }

    @Test("SIM7000 (file 19): all eight links, the S: line's index, in JSON")
    func eightLinks() async throws {
        let links = [
            #"C: 0,0,"TCP","10.76.40.73","2020","CONNECTED""#, #"C: 1,0,"TCP","116.228.221.51","8500","CONNECTED""#,
            #"C: 2,0,"UDP","116.228.221.51","9600","CLOSED""#,
        ] + (3...7).map { "C: \($0),,\"\",\"\",\"\",\"INITIAL\"" }
        let reply = "\r\nOK\r\n\r\nSTATE: IP PROCESSING\r\n\r\nS: 0,0,\"8888\",\"LISTENING\"\r\n\r\n"
            + links.map { $0 + "\r\n" }.joined()
        let peer = try await Self.module(last: 7, reply: reply)
        let result = try await Self.run(["status", "--tcp", "127.0.0.1:\(peer.port)", "--json"])
        await peer.stop()
        #expect(result.status == 0, "\(result.err)")
        let document = try JSONDecoder().decode(StatusDocument.self, from: Data(result.out.utf8))
        #expect(document.links.map(\.n) == Array(0...7))
        #expect(document.links[2].protocol == "UDP" && document.links[2].state == "CLOSED")
        #expect(document.server?.index == 0 && document.server?.port == 8888 && document.server?.state == "LISTENING")
        #expect(result.out.contains(#""index":0"#))
    }

    @Test("modem status against the emulator as a SIM900: eight links, link 7 connected")
    func emulatedSIM900() async throws {
        let (emulator, endpoint) = try await EmulatorEndToEndTests.startEmulator(
            .listen(host: "127.0.0.1", port: 0), dialect: .sim800, model: .sim900)
        try await withCleanup {
            guard case .tcp(let host, let port) = endpoint else { return }
            let at = ["at", "--tcp", "\(host):\(port)"]
            try await withServer(ScriptedPeer.start { _ in .silence }) { peer in
                for command in ["AT+CIPMUX=1", #"AT+CSTT="internet""#, "AT+CIICR", "AT+CIFSR"] {
                    let run = try await runModem(at + [command])
                    #expect(run.status == 0, "\(command): \(run.error)")
                }
                let connect = try await runModem(at + [#"AT+CIPSTART=7,"TCP","127.0.0.1",\#(peer.port)"#])
                #expect(connect.output == "OK\n7, CONNECT OK\n", "\(connect)")
                let result = try await Self.run(["status", "--tcp", "\(host):\(port)", "--json"])
                #expect(result.status == 0, "\(result.err)")
                let document = try JSONDecoder().decode(StatusDocument.self, from: Data(result.out.utf8))
                #expect(document.links.map(\.n) == Array(0...7))
                #expect(document.links[7].state == "CONNECTED" && document.links[7].port == peer.port)
                let link = try await Self.run(["status", "--tcp", "\(host):\(port)", "--link", "7", "--json"])
                #expect(link.status == 0 && link.out.contains(#""state":"CONNECTED""#), "\(link)")
            }
        } cleanup: {
            await emulator.shutdown()
        }
    }

    @Test("Hologram (file 13): garbled C: lines are reported, the valid lines kept, exit status 0")
    func garbledLines() async throws {
        let garbled = [#"C: 0",""AL""#, #"C: 2,,"","","","INI"","INITIAL""#, #"C: 4,,"","","",5,,"","","","IN"#]
        let reply = "\r\nOK\r\n\r\nSTATE: IP PROCESSING\r\n\r\nS: 0,0,\"4010\",\"LISTENING\"\r\n"
            + (garbled + ["C: 5,,\"\",\"\",\"\",\"INITIAL\""]).map { $0 + "\r\n" }.joined()
        let peer = try await Self.module(last: 5, reply: reply)
        let json = try await Self.run(["status", "--tcp", "127.0.0.1:\(peer.port)", "--json"])
        let table = try await Self.run(["status", "--tcp", "127.0.0.1:\(peer.port)"])
        await peer.stop()
        #expect(json.status == 0 && table.status == 0, "\(json.err) \(table.err)")
        let document = try JSONDecoder().decode(StatusDocument.self, from: Data(json.out.utf8))
        #expect(document.state == "IP PROCESSING")
        #expect(document.server?.port == 4010)
        #expect(document.unreadable == garbled)
        #expect(document.links.map(\.n) == [5])
        #expect(table.out.contains("state: IP PROCESSING"))
        for line in garbled { #expect(table.err.contains("warning: a status line could not be read and is left out: \(line)")) }
    }

    @Test("A6/A7 (file 22): +CIPSTATUS: and a line per link before OK; no state is invented")
    func a6Layout() async throws {
        let links = (1...7).map { "\($0),IP INITIAL\r\n" }.joined()
        let reply = "\r\n\r\n+CIPSTATUS:0,IP GPRSACT\r\n" + links + "\r\n\r\nOK\r\n"
        let peer = try await ScriptedPeer.start { line in
            switch line {
            case "AT": .text(framed("OK"))
            case "AT+CIPSTATUS": .text(reply)
            default: .text(framed("ERROR"))
            }
        }
        let json = try await Self.run(["status", "--tcp", "127.0.0.1:\(peer.port)", "--json"])
        let table = try await Self.run(["status", "--tcp", "127.0.0.1:\(peer.port)"])
        await peer.stop()
        #expect(json.status == 0 && table.status == 0, "\(json.err) \(table.err)")
        #expect(json.out.contains(#""state":null"#))
        let document = try JSONDecoder().decode(StatusDocument.self, from: Data(json.out.utf8))
        #expect(document.state == nil && document.links.map(\.n) == Array(0...7))
        #expect(document.links[0].state == "IP GPRSACT")
        #expect(table.out.contains("state: (none given)"))
    }

    @Test("--link N asks AT+CIPSTATUS=N (file 26's bytes) and prints that link; --json its documented shape")
    func oneLink() async throws {
        let link = "\r\n+CIPSTATUS: 0,0,\"TCP\",\"5.196.95.208\",\"1883\",\"CONNECTED\"\r\n\r\nOK\r\n"
        let peer = try await Self.module(last: 5, reply: "", link: link)
        let json = try await Self.run(["status", "--tcp", "127.0.0.1:\(peer.port)", "--link", "0", "--json"])
        let table = try await Self.run(["status", "--tcp", "127.0.0.1:\(peer.port)", "--link", "0"])
        await peer.stop()
        #expect(json.status == 0, "\(json.err)")
        #expect(
            json.out
                == #"{"link":{"address":"5.196.95.208","bearer":0,"n":0,"port":1883,"protocol":"TCP","state":"CONNECTED"},"mode":"multi"}"#
                + "\n")
        #expect(table.out.contains("5.196.95.208") && table.out.contains("CONNECTED"))
    }

    @Test("--link N in single mode says why it cannot ask, exit status 1")
    func oneLinkInSingleMode() async throws {
        let peer = try await ScriptedPeer.start { line in
            switch line {
            case "AT": .text(framed("OK"))
            case "AT+CIPMUX?": .text(framed("+CIPMUX: 0", "OK"))
            default: .text(framed("ERROR"))
            }
        }
        let result = try await Self.run(["status", "--tcp", "127.0.0.1:\(peer.port)", "--link", "0"])
        await peer.stop()
        #expect(result.status == 1)
        #expect(result.err.contains("only multi-connection mode answers") && result.out.isEmpty)
    }

    @Test("--link outside 0-7 is a usage error")
    func linkOutOfRange() async throws {
        let result = try await Self.run(["status", "--tcp", "127.0.0.1:1", "--link", "8"])
        #expect(result.status == 64)
        #expect(result.err.contains("--link must be a link number, 0-7"))
    }
}
