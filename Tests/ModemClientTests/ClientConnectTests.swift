import ModemEmulator
import ModemProtocol
import Testing

@testable import ModemClient

/// `connect(link:to:port:protocol:)` against the real emulator: the outcomes a caller acts on.
@Suite(.timeLimit(.minutes(1)))
struct ClientConnectTests {
    @Test("a link already in use: ERROR then ALREADY CONNECT counts as connected; a bad state is a typed failure")
    func alreadyConnected() async throws {
        let (emulator, endpoint) = try await EmulatorEndToEndTests.startEmulator(
            .listen(host: "127.0.0.1", port: 0), dialect: .sim800)
        let peer = try await ScriptedPeer.start { _ in .silence }
        let client = try await ModemClient.open(endpoint)
        try await client.probe()
        try await client.setMultiConnection(true)
        _ = try await client.attach(apn: "internet")
        try await client.connect(link: 1, to: "127.0.0.1", port: peer.port)
        // The same link again: the module says ERROR, ALREADY CONNECT; the link is still up.
        try await client.connect(link: 1, to: "127.0.0.1", port: peer.port)
        #expect(try await client.linkStatus(1).state == .connected)
        // Link 6 does not exist: the module's ERROR is reported as such.
        await #expect(throws: ModemClientError.commandFailed(command: "AT+CIPSTART=6,\"TCP\",\"127.0.0.1\",\(peer.port)", result: .error)) {
            try await client.connect(link: 6, to: "127.0.0.1", port: peer.port)
        }
        await client.disconnect()
        await peer.stop()
        await emulator.shutdown()
    }
}
