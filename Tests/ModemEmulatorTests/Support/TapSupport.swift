import Foundation
import ModemEmulator
import ModemProtocol
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An emulator in this process whose PTY nobody opened yet: `modem tap --device` takes it.
struct UntouchedEmulator: Sendable {
    let emulator: Emulator
    let path: String

    static func run<T: Sendable>(
        _ configure: (inout EmulatorOptions) -> Void = { _ in }, _ body: (UntouchedEmulator) async throws -> T
    ) async throws -> T {
        let emulator = try Emulator(options: Harness.options(configure), logger: Harness.logger)
        let addresses = try await emulator.start()
        guard case .pty(let path) = addresses[0] else { fatalError("a PTY emulator") }
        return try await withCleanup {
            try await body(UntouchedEmulator(emulator: emulator, path: path))
        } cleanup: {
            await emulator.shutdown()
        }
    }
}

/// `modem tap` (or `modem replay`) as a process, with the host line it offers opened as a session.
struct HostLineProcess: Sendable {
    let process: ModemProcess
    /// The first line on stdout: the PTY path or `tcp://host:port`.
    let address: String

    static func start(_ arguments: [String]) async throws -> HostLineProcess {
        let process = try await ModemProcess.start(arguments)
        let line = try await process.stdout!.read(until: "\n")
        return HostLineProcess(process: process, address: line.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// A host on the line.
    func session() async throws -> ModemSession {
        if address.hasPrefix("tcp://"), let port = Int(address.split(separator: ":").last ?? "") {
            return ModemSession(stream: try await ByteStream.connect(port: port))
        }
        return ModemSession(stream: try await ByteStream.openTerminal(address))
    }
}

/// A ModemSession that keeps every byte it wrote and read, for comparing runs and traces.
final class RecordingSession: @unchecked Sendable {
    // @unchecked: used by one test task at a time.
    let session: ModemSession
    private(set) var written: [UInt8] = []
    private(set) var replies: [String] = []

    init(_ session: ModemSession) {
        self.session = session
    }

    /// Everything read, in order.
    var read: [UInt8] { Array(replies.joined().utf8) }

    func write(_ text: String) async throws {
        written += Array(text.utf8)
        try await session.stream.write(text)
    }

    @discardableResult
    func command(_ line: String, until terminator: String = "\r\nOK\r\n") async throws -> String {
        try await write(line + "\r\n")
        return try await expect(terminator)
    }

    @discardableResult
    func expect(_ text: String) async throws -> String {
        let reply = try await session.stream.read(until: text)
        replies.append(reply)
        return reply
    }

    /// Bring-up, `AT+CIPSTATUS`, `AT+CIPHEAD=1`, a TCP connect to `port`, a send and its echo, the state, the close.
    func standardSession(port: Int) async throws {
        try await command("AT")
        try await command("AT+CIPSTATUS", until: "STATE: IP INITIAL\r\n")
        // Received data with its `+IPD,<len>:` header: a step of its own in the trace (raw data without
        // a header frames nothing until the next line end).
        try await command("AT+CIPHEAD=1")
        try await command("AT+CSTT=\"internet\"")
        try await command("AT+CIICR")
        try await command("AT+CIFSR", until: "10.64.0.2\r\n")
        try await command("AT+CIPSTART=\"TCP\",\"127.0.0.1\",\(port)", until: "CONNECT OK\r\n")
        try await command("AT+CIPSEND=5", until: "> ")
        try await write("hello")
        try await expect("SEND OK\r\n")
        try await expect("+IPD,5:hello")
        try await command("AT+CIPSTATUS", until: "STATE: CONNECT OK\r\n")
        try await command("AT+CIPCLOSE", until: "CLOSE OK\r\n")
    }
}

/// The bytes of one direction of a trace, concatenated.
func traceBytes(_ records: [TraceRecord], _ direction: TraceRecord.Direction) -> [UInt8] {
    records.filter { $0.direction == direction }.flatMap(\.bytes)
}
