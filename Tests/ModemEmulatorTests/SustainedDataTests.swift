import ModemEmulator
import NIOCore
import TestSupport
import Testing

/// Back-to-back `AT+CIPSEND` to an echoing peer with `+IPD` pushed to the host, for as long as the
/// host keeps sending: the send's result never waits on the host, and the echo keeps flowing
/// between commands (issue 11 §1).
@Suite(.machineLoad, .timeLimit(.minutes(3)))
struct SustainedDataTests {
    /// The host ends its lines with CR alone and every fourth block starts with LF: a LF the modem
    /// took for the rest of the command's line end would leave the send one byte short for good.
    @Test("400 back-to-back sends with +IPD echo", arguments: [false, true])
    func backToBackSendsWithEcho(quickSend: Bool) async throws {
        try await withServer(TestTCPServer.start(echo: true)) { server in
            try await Harness.run { harness in
                var host = harness.host
                host.lineEnd = "\r"
                try await host.command("AT+CIPHEAD=1")
                if quickSend { try await host.command("AT+CIPQSEND=1") }
                try await host.bringUp()
                try await host.open(port: server.port)
                let result = quickSend ? "DATA ACCEPT:1460" : "SEND OK"
                let sends = 400
                var payload = randomBytes(1460 * sends)
                for block in stride(from: 0, to: sends, by: 4) { payload[block * 1460] = 0x0A }
                var received: [UInt8] = []
                received.reserveCapacity(payload.count)
                for index in 0..<sends {
                    try await host.send("AT+CIPSEND=1460")
                    prompt: while true {
                        switch try await host.nextFrame(within: .seconds(5)) {
                        case .prompt: break prompt
                        case .data(_, let bytes): received += bytes
                        case .line(let line): Issue.record("send \(index): '\(line)' before the prompt")
                        }
                    }
                    try await host.stream.write(Array(payload[(index * 1460)..<((index + 1) * 1460)]))
                    // A stall shows as a timeout here: the result must come however much echo is due.
                    _ = try await host.readLines(until: { $0 == result }, collecting: &received)
                }
                while received.count < payload.count {
                    guard case .data(_, let bytes) = try await host.nextFrame(within: .seconds(5)) else {
                        Issue.record("a line where echoed data was due")
                        return
                    }
                    received += bytes
                }
                #expect(received == payload)
            }
        }
    }

    @Test("a peer that stops reading: sends stop being taken, then SEND FAIL at the send timeout, then CLOSED")
    func peerStopsReading() async throws {
        let peer = try await SilentPeer.start()
        defer { peer.stop() }
        try await Harness.run({ $0.modem.modem.timeouts.send = .milliseconds(500) }) { harness in
            let host = harness.host
            try await host.bringUp()
            try await host.open(port: peer.port)
            let block = randomBytes(1460)
            var ignored: [UInt8] = []
            // The peer's and the socket's buffers take about 80 sends; 2,000 bound the run.
            for _ in 0..<2000 {
                try await host.command("AT+CIPSEND=1460", until: "> ")
                try await host.stream.write(block)
                let result = try await host.readLines(until: { $0 == "SEND OK" || $0 == "SEND FAIL" }, collecting: &ignored)
                if result == "SEND FAIL" { break }
            }
            try await host.expect("\r\nCLOSED\r\n")
            #expect(try await host.singleState() == "TCP CLOSED")
            try await host.command("AT")
        }
    }

    @Test("a send the network does not take within the send timeout: SEND FAIL, then CLOSED")
    func sendTimeoutOnASlowNetwork() async throws {
        try await withServer(TestTCPServer.start(echo: false)) { server in
            try await Harness.run({
                $0.modem.modem.timeouts.send = .milliseconds(300)
                // 1 kbit/s: 1,460 bytes take 11.7 s to leave the modem.
                $0.modem.network = NetworkProfile(uplinkKbit: 1)
            }) { harness in
                let host = harness.host
                try await host.bringUp()
                try await host.open(port: server.port)
                try await host.command("AT+CIPSEND=1460", until: "> ")
                try await host.stream.write(randomBytes(1460))
                try await host.expect("\r\nSEND FAIL\r\n\r\nCLOSED\r\n")
                #expect(try await host.singleState() == "TCP CLOSED")
                try await host.command("AT")
            }
        }
    }
}
