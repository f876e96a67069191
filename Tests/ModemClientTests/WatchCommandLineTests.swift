import Foundation
import ModemEmulator
import ModemProtocol
import Synchronization
import TestSupport
import Testing

@testable import ModemClient

/// `modem watch --tcp HOST:PORT`, run as a user runs it against the emulator, prints a URC as the
/// module's line with a millisecond timestamp, and with `--json` one JSON object per line.
@Suite(.timeLimit(.minutes(1)))
struct WatchCommandLineTests {
    @Test(arguments: [false, true])
    func urcAsWireText(json: Bool) async throws {
        let executable = try #require(modemExecutable)
        let (emulator, endpoint) = try await EmulatorEndToEndTests.startEmulator(
            .listen(host: "127.0.0.1", port: 0), dialect: .sim800)
        try await withCleanup {
            try await withServer(ScriptedPeer.start { _ in .silence }) { peer in
                try await Self.watch(json: json, executable, endpoint, peer)
            }
        } cleanup: {
            await emulator.shutdown()
        }
    }

    /// Brings link 1 up, starts `modem watch`, then closes link 1 from the peer's side.
    static func watch(json: Bool, _ executable: String, _ endpoint: ModemEndpoint, _ peer: ScriptedPeer) async throws {
        guard case .tcp(let host, let port) = endpoint else { return }
        // Link 1 up with one client, then `modem watch` is the next one (one client at a time).
        let setup = try await ModemClient.open(endpoint)
        try await setup.probe()
        try await setup.setMultiConnection(true)
        _ = try await setup.attach(apn: "internet")
        try await setup.connect(link: 1, to: "127.0.0.1", port: peer.port)
        await setup.disconnect()

        let started = Int64(Date().timeIntervalSince1970 * 1000)
        let watch = try WatchProcess(
            executable, ["watch", "--tcp", "\(host):\(port)", "--interval", "0.2"] + (json ? ["--json"] : []))
        try await withCleanup {
            // The first reading says the watch is connected; then the peer closes link 1.
            let first = try await watch.line { _ in true }
            if json {
                #expect(try Self.object(first)["kind"] as? String == "status")
            } else {
                #expect(first.contains(" status multi IP PROCESSING, 1 link(s): 1 CONNECTED TCP 127.0.0.1:"))
            }
            await peer.stop()
            if json {
                let line = try await watch.line { (try? Self.object($0))?["kind"] as? String == "urc" }
                let object = try Self.object(line)
                #expect(object["line"] as? String == "1, CLOSED")
                #expect(object["link"] as? Int == 1)
                let time = try #require(object["time_ms"] as? Int64)
                #expect(time >= started && time <= Int64(Date().timeIntervalSince1970 * 1000))
            } else {
                let line = try await watch.line { $0.contains(" urc ") }
                #expect(line.wholeMatch(of: /\d\d:\d\d:\d\d\.\d\d\d urc 1, CLOSED/) != nil, "\(line)")
            }
        } cleanup: {
            await watch.stop()
        }
        // Every line read is one JSON object.
        if json { for line in watch.seen { #expect((try? Self.object(line)) != nil, "\(line)") } }
    }

    static func object(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
}

/// The `modem` executable with its standard output read line by line as it comes.
private final class WatchProcess: Sendable {
    private let process: Process
    private let lines: AsyncStream<String>
    private let exited: AsyncStream<Int32>
    private let received = Mutex<[String]>([])

    /// The lines printed so far.
    var seen: [String] { received.withLock { $0 } }

    init(_ executable: String, _ arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        self.lines = lines
        let pending = Mutex<[UInt8]>([])
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                continuation.finish()
                return
            }
            let complete = pending.withLock { buffer in
                buffer += data
                var complete: [String] = []
                while let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    complete.append(String(decoding: buffer[..<end], as: UTF8.self))
                    buffer.removeSubrange(...end)
                }
                return complete
            }
            for line in complete { continuation.yield(line) }
        }
        let (exited, exit) = AsyncStream.makeStream(of: Int32.self)
        self.exited = exited
        process.terminationHandler = {
            exit.yield($0.terminationStatus)
            exit.finish()
        }
        try process.run()
    }

    /// The next line that `matches`; fails when the output ends first.
    func line(where matches: (String) throws -> Bool) async throws -> String {
        for await line in lines {
            received.withLock { $0.append(line) }
            if try matches(line) { return line }
        }
        throw WatchEnded(lines: seen)
    }

    /// SIGTERM, then waits for the exit.
    func stop() async {
        if process.isRunning { process.terminate() }
        for await _ in exited { break }
    }
}

private struct WatchEnded: Error {
    var lines: [String]
}
