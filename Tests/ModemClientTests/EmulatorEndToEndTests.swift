import Logging
import ModemCore
import ModemEmulator
import ModemProtocol
import TestSupport
import Testing

@testable import ModemClient

/// The client against the real emulator (ModemEmulator), over TCP (`--listen`) and over a PTY.
@Suite(.timeLimit(.minutes(1)))
struct EmulatorEndToEndTests {
    static func startEmulator(
        _ serial: SerialEndpointKind, dialect: StatusDialect, model: ModuleFamily = .sim800
    ) async throws -> (Emulator, ModemEndpoint) {
        var options = EmulatorOptions()
        options.serial = serial
        options.modem.modem = ModemConfiguration(model: model)
        options.modem.modem.dialect = dialect
        options.modem.activationDelay = .milliseconds(20)
        let emulator = try Emulator(options: options, logger: Logger(label: "e2e"))
        let addresses = try await emulator.start()
        switch addresses.first {
        case .tcp(let host, let port): return (emulator, .tcp(host: host, port: port))
        case .pty(let path): return (emulator, .serial(SerialPortConfiguration(path: path)))
        default:
            await emulator.shutdown()
            throw DeadlineExceeded()
        }
    }

    /// Brings the emulator to a connected link, then checks that `connectionStatus()` equals both
    /// what the modem's state says and what the raw `AT+CIPSTATUS` reply decodes to.
    static func checkStatus(_ client: ModemClient, emulator: Emulator, multi: Bool) async throws {
        try await withServer(ScriptedPeer.start { _ in .silence }) { remote in
            try await client.probe()
            let initial = try await client.connectionStatus()
            let modemInitial = try await emulator.modems[0].snapshot().status
            #expect(initial == modemInitial && initial == .single(.ipInitial))
            if multi { try await client.setMultiConnection(true) }
            let address = try await client.attach(apn: "internet")
            #expect(!address.isEmpty)
            try await client.connect(link: multi ? 0 : nil, to: "127.0.0.1", port: remote.port)
            let status = try await client.connectionStatus()
            let snapshot = try await emulator.modems[0].snapshot()
            #expect(status == snapshot.status)
            let raw = try await client.send(command: "AT+CIPSTATUS")
            #expect(raw.result == .ok)
            #expect(status == (try CIPSTATUSDecoder.decodeStatus(raw.lines.joined(separator: "\n"), multiConnection: multi)))
            if multi {
                let link = try await client.linkStatus(0)
                #expect(link.state == .connected && link.port == remote.port)
                guard case .multi(.ipProcessing, _, let links) = status else {
                    Issue.record("expected IP PROCESSING, got \(status)")
                    return
                }
                #expect(links.first == link)
            } else {
                #expect(status == .single(.connectOK))
            }
            try await client.close(link: multi ? 0 : nil)
            try await client.shut()
            let final = try await client.connectionStatus()
            let modemFinal = try await emulator.modems[0].snapshot().status
            #expect(final == modemFinal)
        }
    }

    @Test(arguments: [StatusDialect.sim800, .spec], [false, true])
    func statusOverTCPMatchesTheModem(dialect: StatusDialect, multi: Bool) async throws {
        let (emulator, endpoint) = try await Self.startEmulator(.listen(host: "127.0.0.1", port: 0), dialect: dialect)
        let client = try await ModemClient.open(endpoint)
        do {
            try await withDeadline(30) { try await Self.checkStatus(client, emulator: emulator, multi: multi) }
        } catch {
            Issue.record("\(error)")
        }
        await client.disconnect()
        await emulator.shutdown()
    }

    @Test func statusOverPTY() async throws {
        let (emulator, endpoint) = try await Self.startEmulator(.pty(link: nil), dialect: .sim800)
        let client = try await ModemClient.open(endpoint)
        do {
            try await withDeadline(30) { try await Self.checkStatus(client, emulator: emulator, multi: true) }
        } catch {
            Issue.record("\(error)")
        }
        await client.disconnect()
        await emulator.shutdown()
    }

    static func path(_ endpoint: ModemEndpoint) -> String {
        if case .serial(let configuration) = endpoint { return configuration.path }
        return ""
    }

    @Test func secondOpenOfTheSamePTYIsBusy() async throws {
        let (emulator, endpoint) = try await Self.startEmulator(.pty(link: nil), dialect: .sim800)
        let client = try await ModemClient.open(endpoint)
        await #expect(throws: ModemClientError.deviceBusy(path: Self.path(endpoint))) {
            let second = try await ModemClient.open(endpoint)
            await second.disconnect()
        }
        await client.disconnect()
        await emulator.shutdown()
    }
}
