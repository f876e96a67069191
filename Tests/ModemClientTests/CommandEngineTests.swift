import ModemProtocol
import TestSupport
import Testing

@testable import ModemClient

/// The engine over a real loopback socket, against byte sequences of real modules
/// (docs/research/real-logs.md).
@Suite(.timeLimit(.minutes(1)))
struct CommandEngineTests {
    @Test func echoOnLFOnlyTerminatedCommand() async throws {
        // KEN: `AT\n` answered `41 54 0D 0A 4F 4B 0D 0A`.
        let peer = try await ScriptedPeer.start { _ in .text("AT\r\nOK\r\n") }
        let client = try await peer.client()
        let reply = try await withDeadline(5) { try await client.send(command: "AT") }
        #expect(reply == ATReply(command: "AT", lines: [], result: .ok))
        await client.disconnect()
        await peer.stop()
    }

    @Test func echoWithCRCRLFAndInformationLine() async throws {
        // LG259: b'AT+CREG=1\r\r\n', then b'OK\r\n'; and an information reply.
        let peer = try await ScriptedPeer.start { line in
            line == "AT+CSQ" ? .text("AT+CSQ\r\r\n+CSQ: 20,0\r\n\r\nOK\r\n") : .text("AT+CREG=1\r\r\nOK\r\n")
        }
        let client = try await peer.client()
        let creg = try await withDeadline(5) { try await client.send(command: "AT+CREG=1") }
        #expect(creg.lines.isEmpty && creg.result == .ok)
        let csq = try await withDeadline(5) { try await client.send(command: "AT+CSQ") }
        #expect(csq.lines == ["+CSQ: 20,0"] && csq.result == .ok)
        await client.disconnect()
        await peer.stop()
    }

    @Test func echoOffLFOnlyReplies() async throws {
        let peer = try await ScriptedPeer.start { _ in .text("\n+CSQ: 17,0\n\nOK\n") }
        let client = try await peer.client()
        let reply = try await withDeadline(5) { try await client.send(command: "AT+CSQ") }
        #expect(reply.lines == ["+CSQ: 17,0"] && reply.result == .ok)
        await client.disconnect()
        await peer.stop()
    }

    @Test func multiStatusFromKENBytes() async throws {
        let links = [
            #"C: 0,0,"UDP","81.161.156.81","14450","CONNECTED""#,
            #"C: 1,,"","","","INITIAL""#, #"C: 2,,"","","","INITIAL""#, #"C: 3,,"","","","INITIAL""#,
            #"C: 4,,"","","","INITIAL""#, #"C: 5,,"","","","INITIAL""#,
        ]
        let peer = try await ScriptedPeer.start { line in
            switch line {
            case "AT+CIPMUX?": .text(framed("+CIPMUX: 1", "OK"))
            case "AT+CIPSTATUS":
                .text("AT+CIPSTATUS\r\r\n" + framed("OK") + "\r\nSTATE: IP PROCESSING\r\n\r\n"
                    + links.map { $0 + "\r\n" }.joined())
            default: .text(framed("ERROR"))
            }
        }
        let client = try await peer.client()
        let status = try await withDeadline(5) { try await client.connectionStatus() }
        guard case .multi(let state, let server, let decoded) = status else {
            Issue.record("expected multi, got \(status)")
            return
        }
        #expect(state == .ipProcessing && server == nil && decoded.count == 6)
        #expect(
            decoded[0]
                == LinkStatus(
                    number: 0, bearer: 0, transport: .udp, address: "81.161.156.81", port: 14450, state: .connected))
        #expect(decoded[1] == .unused(1))
        await client.disconnect()
        await peer.stop()
    }

    @Test func singleStatusAndLinkStatusWithBlankLines() async throws {
        // ELZ24: `OK` / `` / `STATE: IP STATUS`; TG648: blank lines around `+CIPSTATUS: 0,...`.
        let peer = try await ScriptedPeer.start { line in
            switch line {
            case "AT+CIPMUX?": .text(framed("+CIPMUX: 0", "OK"))
            case "AT+CIPSTATUS": .text(framed("OK", "STATE: IP STATUS"))
            case "AT+CIPSTATUS=0":
                .text("\r\n\r\n+CIPSTATUS: 0,0,\"TCP\",\"5.196.95.208\",\"1883\",\"CONNECTED\"\r\n\r\n\r\nOK\r\n")
            default: .text(framed("ERROR"))
            }
        }
        let client = try await peer.client()
        let status = try await withDeadline(5) { try await client.connectionStatus() }
        #expect(status == .single(.ipStatus))
        let link = try await withDeadline(5) { try await client.linkStatus(0) }
        #expect(link == LinkStatus(number: 0, bearer: 0, transport: .tcp, address: "5.196.95.208", port: 1883, state: .connected))
        await client.disconnect()
        await peer.stop()
    }

    @Test func statusCutShortIsAnErrorWithWhatArrived() async throws {
        // A module without AT+CIPMUX? whose reply stops after one of its links (issue 12: a reply
        // cut short is an error, never a partial list).
        let peer = try await ScriptedPeer.start { line in
            switch line {
            case "AT+CIPSTATUS":
                .text(framed("OK", "STATE: IP PROCESSING") + "C: 0,0,\"TCP\",\"10.0.0.1\",80,\"CONNECTED\"\r\n")
            default: .text(framed("ERROR"))
            }
        }
        let client = try await peer.client()
        await #expect(
            throws: ModemClientError.timeout(
                command: "AT+CIPSTATUS", received: ["STATE: IP PROCESSING", #"C: 0,0,"TCP","10.0.0.1",80,"CONNECTED""#])
        ) {
            try await withDeadline(5) { try await client.connectionStatus() }
        }
        await client.disconnect()
        await peer.stop()
    }

    @Test func unsolicitedResultsInterleavedWithAReply() async throws {
        let peer = try await ScriptedPeer.start { line in
            switch line {
            case "AT+CIPMUX?": .text(framed("+CIPMUX: 0", "+CIPRXGET: 1,0", "OK"))
            case "AT+CIPSTATUS": .text(framed("OK", "0, CLOSED", "STATE: IP STATUS", "+PDP: DEACT"))
            default: .text(framed("ERROR"))
            }
        }
        let client = try await peer.client()
        let urcs = client.unsolicitedResults()
        let status = try await withDeadline(5) { try await client.connectionStatus() }
        #expect(status == .single(.ipStatus))
        var seen: [UnsolicitedResult] = []
        _ = try await first(urcs) { _ in true }.map { seen.append($0) }
        _ = try await first(urcs) { _ in true }.map { seen.append($0) }
        _ = try await first(urcs) { _ in true }.map { seen.append($0) }
        #expect(seen == [.dataAvailable(link: 0), .closed(link: 0), .pdpDeactivated])
        await client.disconnect()
        await peer.stop()
    }

    @Test func bootURCsWhileIdle() async throws {
        let peer = try await ScriptedPeer.start { _ in .text(framed("OK")) }
        let client = try await peer.client()
        let urcs = client.unsolicitedResults()
        _ = try await withDeadline(5) { try await client.send(command: "AT") }
        try await peer.push(framed("RDY", "+CFUN: 1", "+CPIN: READY", "Call Ready", "SMS Ready"))
        var seen: [UnsolicitedResult] = []
        for _ in 0..<5 { if let next = try await first(urcs, where: { _ in true }) { seen.append(next) } }
        #expect(seen == [.ready, .functionality("1"), .simStatus("READY"), .callReady, .smsReady])
        await client.disconnect()
        await peer.stop()
    }

    @Test func timeoutThenResync() async throws {
        let peer = try await ScriptedPeer.start { line in
            line == "AT+CSQ" ? .silence : .text(framed("OK"))
        }
        let client = try await peer.client()
        await #expect(throws: ModemClientError.timeout(command: "AT+CSQ", received: [])) {
            _ = try await withDeadline(5) { try await client.send(command: "AT+CSQ", timeout: .milliseconds(200)) }
        }
        let reply = try await withDeadline(5) { try await client.send(command: "AT+CREG?") }
        #expect(reply.result == .ok)
        #expect(try await peer.receivedLines() == ["AT+CSQ", "AT", "AT+CREG?"])
        await client.disconnect()
        await peer.stop()
    }

    @Test func silentModuleIsNoAnswer() async throws {
        let peer = try await ScriptedPeer.start { _ in .silence }
        let client = try await peer.client()
        await #expect(throws: ModemClientError.noAnswer) {
            try await withDeadline(20) { try await client.probe() }
        }
        await client.disconnect()
        await peer.stop()
    }

    @Test func nonModemPeer() async throws {
        let peer = try await ScriptedPeer.start { _ in .text("HTTP/1.1 400 Bad Request\r\n\r\n") }
        let client = try await peer.client()
        await #expect(throws: ModemClientError.notAModem(received: "HTTP/1.1 400 Bad Request")) {
            try await withDeadline(20) { try await client.probe() }
        }
        await client.disconnect()
        await peer.stop()
    }

    @Test func rawPayloadWithCRLFBytes() async throws {
        // PSC730/TG69: `+CIPRXGET: 2,<n>,<len>,<rest>`, exactly len raw bytes, then OK.
        let payload: [UInt8] = Array("\r\nOK\r\nERROR\n\r".utf8) + [0x00, 0x1A, 0xFF]
        let peer = try await ScriptedPeer.start { line in
            line == "AT+CIPRXGET=2,1,63"
                ? ScriptStep(reply: Array(framed("+CIPRXGET: 2,1,\(payload.count),302").utf8) + payload + Array(framed("OK").utf8))
                : .text(framed("ERROR"))
        }
        let client = try await peer.client()
        let bytes = try await withDeadline(5) { try await client.receive(link: 1, maxLength: 63) }
        #expect(bytes == payload)
        await client.disconnect()
        await peer.stop()
    }

    @Test func receivedDataURC() async throws {
        let peer = try await ScriptedPeer.start { _ in .text(framed("OK")) }
        let client = try await peer.client()
        let urcs = client.unsolicitedResults()
        _ = try await withDeadline(5) { try await client.send(command: "AT") }
        try await peer.push("\r\n+RECEIVE,2,4:\r\n\r\nA\n")
        let received = try await first(urcs) { _ in true }
        #expect(received == .received(link: 2, bytes: Array("\r\nA\n".utf8)))
        await client.disconnect()
        await peer.stop()
    }

    @Test func sendWaitsForPromptThenSendOK() async throws {
        // KEN: the prompt is `0d 0a 3e 20`; `0, SEND OK` after the data.
        let peer = try await ScriptedPeer.start { line in
            line == "AT+CIPSEND=0,5"
                ? ScriptStep(reply: Array("\r\n> ".utf8), readData: 5, afterData: Array(framed("0, SEND OK").utf8))
                : .text(framed("ERROR"))
        }
        let client = try await peer.client()
        try await withDeadline(5) { try await client.send(Array("he\r\no".utf8), link: 0) }
        #expect(try await peer.receivedData() == Array("he\r\no".utf8))
        await client.disconnect()
        await peer.stop()
    }

    @Test func sendOnClosedLinkIsNotConnected() async throws {
        let peer = try await ScriptedPeer.start { _ in .text(framed("ERROR")) }
        let client = try await peer.client()
        await #expect(throws: ModemClientError.notConnected(link: 1)) {
            try await withDeadline(5) { try await client.send([1, 2, 3], link: 1) }
        }
        await client.disconnect()
        await peer.stop()
    }

    @Test func lifecycleAgainstRealReplies() async throws {
        let peer = try await ScriptedPeer.start { line in
            switch line {
            case #"AT+CSTT="internet","","""#, "AT+CIICR": .text(framed("OK"))
            case "AT+CIFSR": .text("\r\n10.78.245.128\r\n")
            case #"AT+CIPSTART=0,"TCP","example.com",80"#: .text(framed("OK") + framed("0, CONNECT OK"))
            case #"AT+CIPSTART=1,"TCP","example.com",81"#: .text(framed("OK") + framed("1, CONNECT FAIL"))
            case #"AT+CIPSTART="TCP","41.226.27.211",5009"#:
                .text(framed("OK", "STATE: TCP CLOSED", "CONNECT FAIL"))
            case "AT+CIPCLOSE=0,1": .text(framed("0, CLOSE OK"))
            case "AT+CIPCLOSE=3": .text(framed("+CME ERROR: operation not allowed"))
            case "AT+CIPSHUT": .text(framed("SHUT OK"))
            default: .text(framed("ERROR"))
            }
        }
        let client = try await peer.client()
        let address = try await withDeadline(5) { try await client.attach(apn: "internet") }
        #expect(address == "10.78.245.128")
        try await withDeadline(5) { try await client.connect(link: 0, to: "example.com", port: 80) }
        await #expect(throws: ModemClientError.connectFailed(link: 1)) {
            try await withDeadline(5) { try await client.connect(link: 1, to: "example.com", port: 81) }
        }
        await #expect(throws: ModemClientError.connectFailed(link: nil)) {
            try await withDeadline(5) { try await client.connect(to: "41.226.27.211", port: 5009) }
        }
        try await withDeadline(5) { try await client.close(link: 0, quick: true) }
        await #expect(throws: ModemClientError.notConnected(link: 3)) {
            try await withDeadline(5) { try await client.close(link: 3) }
        }
        try await withDeadline(5) { try await client.shut() }
        await client.disconnect()
        await peer.stop()
    }

    @Test func errorResultsAreTyped() async throws {
        let peer = try await ScriptedPeer.start { line in
            line == "AT+CPIN?" ? .text(framed("+CME ERROR: 10")) : .text(framed("NO CARRIER"))
        }
        let client = try await peer.client()
        let cpin = try await withDeadline(5) { try await client.send(command: "AT+CPIN?") }
        #expect(cpin.result == .mobileEquipmentError(.simNotInserted, raw: "10"))
        let dial = try await withDeadline(5) { try await client.send(command: "ATD123;") }
        #expect(dial.result == .callFailed(.noCarrier))
        await client.disconnect()
        await peer.stop()
    }

    @Test func queuedCommandsRunInOrder() async throws {
        let peer = try await ScriptedPeer.start { line in .text(framed("+X: \(line)", "OK")) }
        let client = try await peer.client()
        let replies = try await withDeadline(5) {
            try await withThrowingTaskGroup(of: ATReply.self) { group in
                for n in 0..<8 { group.addTask { try await client.send(command: "AT+X=\(n)") } }
                var replies: [ATReply] = []
                for try await reply in group { replies.append(reply) }
                return replies
            }
        }
        #expect(replies.count == 8)
        #expect(replies.allSatisfy { $0.lines == ["+X: \($0.command)"] })
        await client.disconnect()
        await peer.stop()
    }

    @Test func closedTransportFailsTheRunningCommand() async throws {
        // The module shows it got the command (a URC, no final result), then the line drops.
        let peer = try await ScriptedPeer.start { _ in .text(framed("+PDP: DEACT")) }
        let client = try await peer.client()
        let urcs = client.unsolicitedResults()
        let pending = Task { try await client.send(command: "AT+CIICR") }
        #expect(try await first(urcs) { _ in true } == .pdpDeactivated)
        try await peer.dropConnection()
        await #expect(throws: ModemClientError.transportClosed) {
            _ = try await withDeadline(5) { try await pending.value }
        }
        await client.disconnect()
        await peer.stop()
    }

    @Test func watchReportsChanges() async throws {
        let states = StateScript(["IP INITIAL", "IP INITIAL", "IP START", "IP START"])
        let peer = try await ScriptedPeer.start { line in
            switch line {
            case "AT+CIPMUX?": .text(framed("+CIPMUX: 0", "OK"))
            case "AT+CIPSTATUS": .text(framed("OK", "STATE: \(states.next())"))
            default: .text(framed("ERROR"))
            }
        }
        let client = try await peer.client()
        let changes = client.watch(every: .milliseconds(20))
        let initial = try await first(changes) { _ in true }
        #expect(initial == .initial(.single(.ipInitial)))
        let changed = try await first(changes) { if case .stateChanged = $0 { true } else { false } }
        #expect(changed == .stateChanged(from: "IP INITIAL", to: "IP START"))
        try await peer.push(framed("+PDP: DEACT"))
        let urc = try await first(changes) { if case .unsolicited = $0 { true } else { false } }
        #expect(urc == .unsolicited(.pdpDeactivated))
        await client.disconnect()
        await peer.stop()
    }
}

/// Hands out a sequence of words, repeating the last one.
final class StateScript: Sendable {
    private let words: [String]
    private let counter = Counter()
    init(_ words: [String]) { self.words = words }
    func next() -> String { words[min(counter.increment() - 1, words.count - 1)] }
}

/// A counter safe to use from the peer's event loop (one thread at a time).
final class Counter: @unchecked Sendable {
    private var value = 0
    func increment() -> Int {
        value += 1
        return value
    }
}

/// Seeded random bytes from a peer on a real socket: every command ends (reply or typed error)
/// within its deadline, and the engine works again once the peer behaves.
