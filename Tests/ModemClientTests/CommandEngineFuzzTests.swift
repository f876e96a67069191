import ModemProtocol
import TestSupport
import Testing
@testable import ModemClient

@Suite(.timeLimit(.minutes(1)))
struct CommandEngineFuzzTests {
    @Test func randomRepliesNeverHangTheEngine() async throws {
        let sane = SaneSwitch()
        let peer = try await ScriptedPeer.start { _ in
            if sane.isOn { return .text(framed("OK")) }
            var generator = SplitMix64(seed: sane.nextSeed())
            let pieces = ["OK", "\r\n", "> ", "+CIPRXGET: 2,0,3,0\r\n", "+RECEIVE,0,2:", "CLOSED", "\n", "ERROR"]
            var bytes: [UInt8] = []
            for _ in 0..<Int(generator.next() % 8) {
                if generator.next() % 3 == 0 {
                    bytes += Array(pieces[Int(generator.next() % UInt64(pieces.count))].utf8)
                } else {
                    bytes += (0..<Int(generator.next() % 12)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                }
            }
            return ScriptStep(reply: bytes)
        }
        let client = try await peer.client()
        let commands = ["AT+CSQ", "AT+CIPSTATUS", "AT+CIFSR", "AT+CIPSHUT", "AT+CIPCLOSE=0", "AT+CIPRXGET=2,0,3"]
        for round in 0..<10 {
            let request = ATRequest(commands[round % commands.count], timeout: .milliseconds(50), settleTime: .milliseconds(20))
            do {
                _ = try await withDeadline(15) { try await client.run(request) }
            } catch is ModemClientError {
                // A typed failure is a valid end.
            }
        }
        sane.isOn = true
        let reply = try await withDeadline(10) { try await client.send(command: "AT") }
        #expect(reply.result == .ok)
        await client.disconnect()
        await peer.stop()
    }
}

/// Peer-side switch and seed source; touched only on the peer's event loop, and by the test after
/// the commands that use it have ended.
final class SaneSwitch: @unchecked Sendable {
    var isOn = false
    private var seed: UInt64 = 0xF022
    func nextSeed() -> UInt64 {
        seed &+= 1
        return seed
    }
}
