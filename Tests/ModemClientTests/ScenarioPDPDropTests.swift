import Logging
import ModemEmulator
import ModemProtocol
import TestSupport
import Testing

@testable import ModemClient

/// A scenario drops the PDP context half-way through a 1 MiB upload: the host sees what a real
/// SIM800 sends (`CLOSED`, `+PDP: DEACT`, `STATE: PDP DEACT` until `AT+CIPSHUT`), and `ModemClient`
/// reports it as typed events.
@Suite(.timeLimit(.minutes(1)))
struct ScenarioPDPDropTests {
    @Test func pdpDropDuringUpload() async throws {
        try await withServer(ScriptedPeer.start { _ in .silence }) { remote in
            var options = EmulatorOptions()
            options.serial = .pty(link: nil)
            options.modem.activationDelay = .milliseconds(20)
            options.modem.scenario = try Scenario.parse(
                #"{"events": [{"after": {"sent": {"link": 0, "bytes": 524288}}, "do": "pdp-drop"}]}"#)
            let emulator = try Emulator(options: options, logger: Logger(label: "pdp-drop") { _ in SwiftLogNoOpLogHandler() })
            let addresses = try await emulator.start()
            guard case .pty(let path) = addresses.first else { throw DeadlineExceeded() }
            let client = try await ModemClient.open(.serial(SerialPortConfiguration(path: path)))
            try await withCleanup {
                try await client.probe()
                _ = try await client.attach(apn: "internet")
                try await client.connect(to: "127.0.0.1", port: remote.port)
                let events = client.unsolicitedResults()

                let chunk = [UInt8](repeating: 0x55, count: 1460)
                var sent = 0
                var failure: ModemClientError?
                while sent < 1 << 20 {
                    do throws(ModemClientError) {
                        try await client.send(chunk)
                        sent += chunk.count
                    } catch {
                        failure = error
                        break
                    }
                }
                #expect(sent >= 524_288 && sent < 1 << 20, "the upload stopped at \(sent) bytes")
                #expect(failure == .notConnected(link: nil))

                var seen: [UnsolicitedResult] = []
                for await event in events {
                    seen.append(event)
                    if event == .pdpDeactivated { break }
                }
                #expect(seen.contains(.closed(link: nil)))
                #expect(seen.last == .pdpDeactivated)
                #expect(try await client.connectionStatus() == .single(.pdpDeact))
                try await client.shut()
                #expect(try await client.connectionStatus() == .single(.ipInitial))
            } cleanup: {
                await client.disconnect()
                await emulator.shutdown()
            }
        }
    }
}
