import Foundation
import Logging
import ModemEmulator
import ModemProtocol
import TestSupport
import Testing

@testable import ModemClient

/// `ModemClient.open(_:trace:)`: the client records its own session in the trace format.
@Suite(.timeLimit(.minutes(1)))
struct ClientRecordingTests {
    static func records(_ path: String) throws -> [TraceRecord] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(TraceRecord.self, from: Data($0.utf8)) }
    }

    @Test func aClientSessionIsRecordedAndMatchesTheEmulatorsOwnTrace() async throws {
        let clientTrace = NSTemporaryDirectory() + "client-\(UInt32.random(in: 0...UInt32.max)).trace"
        let modemTrace = clientTrace + ".modem"
        defer {
            unlink(clientTrace)
            unlink(modemTrace)
        }
        var options = EmulatorOptions()
        options.serial = .pty(link: nil)
        options.modem.activationDelay = .milliseconds(1)
        options.modem.tracePath = modemTrace
        let emulator = try Emulator(options: options, logger: Logger(label: "recording"))
        let addresses = try await emulator.start()
        guard case .pty(let path) = addresses[0] else { throw DeadlineExceeded() }
        let client = try await ModemClient.open(.serial(SerialPortConfiguration(path: path)), trace: clientTrace)
        do {
            try await withDeadline(30) {
                try await client.probe()
                #expect(try await client.connectionStatus() == .single(.ipInitial))
                #expect(try await client.attach(apn: "internet") == "10.64.0.2")
                #expect(try await client.connectionStatus() == .single(.ipStatus))
            }
        } catch {
            Issue.record("\(error)")
        }
        await client.disconnect()
        await emulator.shutdown()

        let records = try Self.records(clientTrace)
        #expect(!records.contains { $0.kind == .other }, "\(records.filter { $0.kind == .other })")
        #expect(records.contains { $0.direction == .host && $0.kind == .command && $0.name == "+CIPSTATUS" })
        #expect(records.contains { $0.direction == .host && $0.kind == .command && $0.name == "+CIICR" })
        #expect(records.contains { $0.kind == .result && $0.name == "OK" })
        #expect(records.filter { $0.kind == .status }.compactMap(\.state) == ["IP INITIAL", "IP STATUS"])
        #expect(records.contains { $0.kind == .info && TraceText.printable($0.bytes).contains("10.64.0.2") })
        // Every byte the client wrote reached the modem and every byte the modem wrote reached the client.
        let modem = try Self.records(modemTrace)
        for direction in [TraceRecord.Direction.host, .module] {
            let recorded = records.filter { $0.direction == direction }.flatMap(\.bytes)
            #expect(recorded == modem.filter { $0.direction == direction }.flatMap(\.bytes))
        }
    }

    @Test func aTraceThatCannotBeWrittenIsAnError() async throws {
        var options = EmulatorOptions()
        options.serial = .listen(host: "127.0.0.1", port: 0)
        let emulator = try Emulator(options: options, logger: Logger(label: "recording"))
        let addresses = try await emulator.start()
        guard case .tcp(let host, let port) = addresses[0] else { throw DeadlineExceeded() }
        await #expect(throws: ModemClientError.self) {
            let client = try await ModemClient.open(.tcp(host: host, port: port), trace: "/no/such/dir/x.trace")
            await client.disconnect()
        }
        await emulator.shutdown()
    }
}
