import Foundation
import Logging
import ModemEmulator
import ModemProtocol
import TestSupport
import Testing

@testable import ModemClient

/// `modem status --tcp HOST:PORT --json`, run as a user runs it against `modem emulate --listen`,
/// reports the same state and links as `AT+CIPSTATUS`, in both dialects, single and multi mode.
@Suite(.timeLimit(.minutes(1)))
struct StatusCommandLineTests {
    /// Runs the `modem` executable and returns its standard output once it exits with status 0.
    static func run(_ arguments: [String]) async throws -> Data {
        let run = try await runModem(arguments)
        #expect(run.status == 0, "modem \(arguments.joined(separator: " ")) exited with \(run.status)")
        return Data(run.output.utf8)
    }

    @Test(arguments: [StatusDialect.sim800, .spec], [false, true])
    func jsonMatchesCIPSTATUS(dialect: StatusDialect, multi: Bool) async throws {
        #expect(modemExecutable != nil)
        let (emulator, endpoint) = try await EmulatorEndToEndTests.startEmulator(
            .listen(host: "127.0.0.1", port: 0), dialect: dialect)
        guard case .tcp(let host, let port) = endpoint else { return }
        let peer = try await ScriptedPeer.start { _ in .silence }
        // Bring a link up with one client, then let the CLI be the next one (one client at a time).
        let setup = try await ModemClient.open(endpoint)
        try await setup.probe()
        if multi { try await setup.setMultiConnection(true) }
        _ = try await setup.attach(apn: "internet")
        try await setup.connect(link: multi ? 2 : nil, to: "127.0.0.1", port: peer.port)
        await setup.disconnect()

        let json = try await Self.run(["status", "--tcp", "\(host):\(port)", "--json"])
        let document = try JSONDecoder().decode(StatusDocument.self, from: json)
        let modemState = try await emulator.modems[0].snapshot().status
        #expect(document == StatusDocument(modemState))

        // The raw reply a host reads says the same.
        let check = try await ModemClient.open(endpoint)
        let raw = try await check.send(command: "AT+CIPSTATUS")
        let decoded = try CIPSTATUSDecoder.decodeStatus(raw.lines.joined(separator: "\n"), multiConnection: multi)
        #expect(document == StatusDocument(decoded))
        #expect(document.mode == (multi ? "multi" : "single"))
        #expect(document.state == (multi ? "IP PROCESSING" : "CONNECT OK"))
        if multi { #expect(document.links[2].state == "CONNECTED" && document.links[2].port == peer.port) }
        await check.disconnect()
        await peer.stop()
        await emulator.shutdown()
    }
}
