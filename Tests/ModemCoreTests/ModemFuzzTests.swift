import ModemCore
import ModemProtocol
import TestSupport
import Testing

/// Property tests: random bytes, random command sequences and random network events never crash
/// the machine, every line gets a reply, and a rejected single command never changes state.
@Suite("Fuzz")
struct ModemFuzzTests {
    static let names = [
        "+CIPSTATUS", "+CIPSTART", "+CIPSEND", "+CIPCLOSE", "+CIPSHUT", "+CSTT", "+CIICR", "+CIFSR", "+CIPMUX",
        "+CIPRXGET", "+CIPQSEND", "+CIPHEAD", "+CIPSERVER", "+CGATT", "+CDNSCFG", "+CDNSGIP", "+CIPSGTXT", "+CMEE",
        "E", "V", "+NOSUCH",
    ]
    static let argumentPool = [
        "0", "1", "2", "3", "5", "6", "-1", "\"TCP\"", "\"UDP\"", "\"127.0.0.1\"", "8080", "\"80\"", "", "\"\"",
        "1460", "1461", "99999", "\"internet\"", "x", "\"a,b\"", "\"8.8.8.8\"",
    ]

    static func randomLine(_ rng: inout SplitMix64) -> String {
        let name = names.randomElement(using: &rng)!
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return "AT" + name
        case 1: return "AT" + name + "?"
        case 2: return "AT" + name + "=?"
        default:
            let count = Int.random(in: 0...5, using: &rng)
            let arguments = (0..<count).map { _ in argumentPool.randomElement(using: &rng)! }
            return "AT" + name + "=" + arguments.joined(separator: ",")
        }
    }

    static func randomEvent(_ rng: inout SplitMix64, connections: [ConnectionID]) -> NetworkEvent {
        let id = connections.randomElement(using: &rng) ?? ConnectionID(rawValue: UInt64.random(in: 1...20, using: &rng))
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return .contextActivated(localAddress: "10.64.0.2")
        case 1: return .contextActivationFailed
        case 2: return .contextDeactivated
        case 3: return .connected(id, remoteAddress: "127.0.0.1")
        case 4: return .connectFailed(id)
        case 5: return .received(id, (0..<Int.random(in: 0...3000, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        case 6: return .remoteClosed(id)
        case 7: return .closed(id)
        case 8: return .incomingConnection(token: rng.next(), address: "127.0.0.1", port: 40000)
        default: return .listening(port: 8080)
        }
    }

    @Test("random command sequences and events: a rejected command never changes state", arguments: 0..<8)
    func commandSequences(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var modem = ModemHarness(echo: false)
        if seed % 2 == 1 { modem.send("AT+CIPMUX=1") }
        var connections: [ConnectionID] = []
        for _ in 0..<400 {
            if Bool.random(using: &rng) {
                let line = Self.randomLine(&rng)
                let before = modem.modem.snapshot
                let actions = modem.actions.count
                let reply = modem.send(line)
                if before.isBusy { continue }
                if reply.hasSuffix("ERROR\r\n") || reply.contains("+CME ERROR") {
                    #expect(modem.modem.snapshot == before, "\(line) changed state")
                    #expect(modem.actions.count == actions, "\(line) acted")
                } else if !modem.modem.snapshot.isBusy, !line.contains("CIPSEND") {
                    #expect(!reply.isEmpty, "\(line) got no reply")
                }
                if modem.modem.snapshot.isBusy || reply.hasSuffix("> ") {
                    modem.bytes(Array("payload".utf8) + [0x1A])
                }
            } else {
                modem.event(Self.randomEvent(&rng, connections: connections))
            }
            if let id = modem.lastConnection, !connections.contains(id) { connections.append(id) }
            if let id = modem.lastAccepted, !connections.contains(id) { connections.append(id) }
        }
        // Whatever happened, the modem still answers.
        modem.event(.contextActivationFailed)
        modem.bytes([0x1B])
        modem.send("ATV1")
        #expect(modem.send("AT").hasSuffix("\r\nOK\r\n"))
    }

    @Test("random bytes never crash the modem and it answers afterwards", arguments: 0..<8)
    func randomBytes(seed: UInt64) {
        var rng = SplitMix64(seed: seed &+ 100)
        var modem = ModemHarness()
        modem.bringUp()
        modem.connect()
        for _ in 0..<300 {
            let count = Int.random(in: 1...700, using: &rng)
            var chunk = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if Int.random(in: 0..<4, using: &rng) == 0 { chunk += Array("AT+CIPSEND=3\r".utf8) }
            modem.bytes(chunk)
        }
        modem.bytes(Array(repeating: 0x41, count: 5) + [0x1A, 0x1B, 0x0D])
        #expect(modem.send("AT").hasSuffix("\r\nOK\r\n"))
    }
}
