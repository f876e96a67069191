import Foundation
import ModemEmulator
import NIOPosix
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The control socket's bounds: a client that never reads its replies, a crowd of clients, and a
/// client whose emulator is not there.
@Suite(.enabled(if: modemExecutable != nil, "the modem executable is built with the tests"), .machineLoad, .timeLimit(.minutes(3)))
struct ControlSocketLimitsTests {
    /// Before the fix, a failed connect left the reply promise uncompleted: "leaking promise" in a
    /// debug build, about every other time.
    @Test func unreachableEmulatorIsATypedErrorEveryTime() async throws {
        let path = temporaryPath("no-emulator")
        for _ in 0..<40 {
            await #expect(throws: ControlClientError.notRunning(path: path)) {
                try await ControlClient.send(ControlRequest(command: "status"), to: path)
            }
        }
        // A socket file with nobody behind it (an emulator that was killed) is the same.
        let stale = try UnixSocketClient.leaveStaleSocket(at: temporaryPath("stale-control"))
        await #expect(throws: ControlClientError.notRunning(path: stale)) {
            try await ControlClient.send(ControlRequest(command: "status"), to: stale)
        }
        unlink(stale)
    }

    /// A client floods `status` requests and never reads: the emulator stops reading it when its
    /// replies cannot be written, so its memory stays flat and other clients are still served.
    @Test func floodingClientThatNeverReadsStaysBounded() async throws {
        let control = temporaryPath("flood-control")
        let emulator = try await ModemProcess.start([
            "emulate", "--pty", "--control", control, "--log-level", "error",
        ])
        defer { emulator.process.terminate() }
        _ = try await emulator.stdout!.read(until: "\n")
        // Warm up: one request answered, then the baseline.
        #expect(try await ControlClient.request(ControlRequest(command: "status"), to: control).ok)
        let baseline = try emulator.residentKiB()

        let flood = try UnixSocketClient(path: control)
        let request = Array(#"{"command":"status"}"#.utf8) + [0x0A]
        let chunk = Array(repeating: request, count: 512).flatMap { $0 }
        // Write until the kernel has pushed back for 300 ms, or for 3 s at most.
        let written = try await NIOThreadPool.singleton.runIfActive {
            flood.writeUntilPushedBack(chunk, stall: 300, limit: .seconds(3))
        }
        let peak = try emulator.residentKiB()
        let growth = peak - baseline
        print(
            "[ControlSocketLimitsTests] flood: \(written / request.count) requests (\(written >> 10) KiB) written, VmRSS \(baseline) -> \(peak) KiB (+\(growth) KiB)"
        )
        #expect(growth <= 8 * 1024, "the emulator grew by \(growth) KiB")

        // Still served while the flooding client hangs on, and after it has gone.
        let during = try await ControlClient.request(ControlRequest(command: "status"), to: control, timeout: .seconds(2))
        #expect(during.ok)
        flood.close()
        let after = try await ControlClient.request(ControlRequest(command: "status"), to: control, timeout: .seconds(2))
        #expect(after.ok)
        #expect(try await emulator.stop() == 0)
    }

    /// 64 control clients are served at once; one more is told why in one JSON line and closed.
    @Test func connectionsAreCapped() async throws {
        let control = temporaryPath("cap-control")
        try await Harness.run({ $0.controlPath = control }) { _ in
            let clients = try (0...64).map { _ in try UnixSocketClient(path: control) }
            var served = 0
            var refused: [String] = []
            for client in clients {
                client.write(Array(#"{"command":"status"}"#.utf8) + [0x0A])
            }
            for client in clients {
                let line = try #require(try await client.line(within: 30000))
                let reply = try JSONDecoder().decode(ControlReply.self, from: Data(line.utf8))
                if reply.ok {
                    served += 1
                } else {
                    refused.append(reply.error ?? "")
                    #expect(try await client.line(within: 30000) == nil, "the refused connection is closed")
                }
            }
            #expect(served == 64)
            #expect(refused.count == 1)
            #expect(refused.first?.contains("too many control connections (64)") == true)
            for client in clients { client.close() }
            // The slots come back once the clients have gone.
            var answered = false
            for _ in 0..<200 where !answered {
                answered = (try? await ControlClient.request(ControlRequest(command: "status"), to: control).ok) == true
            }
            #expect(answered)
        }
    }
}

/// A blocking-free unix-socket client with plain system calls, to control exactly what is read.
final class UnixSocketClient: @unchecked Sendable {
    let descriptor: CInt

    init(path: String) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw StreamClosed() }
        var address = Self.address(path)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            Glibc.close(descriptor)
            throw StreamClosed()
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    /// Binds a unix socket at `path` and closes it without removing the file.
    static func leaveStaleSocket(at path: String) throws -> String {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = address(path)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        Glibc.close(descriptor)
        guard result == 0 else { throw StreamClosed() }
        return path
    }

    private static func address(_ path: String) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        return address
    }

    /// Writes `bytes` (all of it, waiting for room up to 5 s).
    func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if count > 0 {
                offset += count
            } else if !wait(POLLOUT, milliseconds: 5000) {
                return
            }
        }
    }

    /// Writes `chunk` over and over until no byte could be written for `stall` milliseconds, or for
    /// `limit` in all; returns how many bytes were written.
    func writeUntilPushedBack(_ chunk: [UInt8], stall: Int32, limit: Duration) -> Int {
        let clock = ContinuousClock()
        let end = clock.now + limit
        var total = 0
        while clock.now < end {
            let count = chunk.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress!, chunk.count) }
            if count > 0 {
                total += count
            } else if !wait(POLLOUT, milliseconds: stall) {
                break
            }
        }
        return total
    }

    /// ``readLine(within:)`` on a thread of NIO's pool: an in-process emulator needs the
    /// cooperative threads this test would otherwise block.
    func line(within milliseconds: Int32) async throws -> String? {
        try await NIOThreadPool.singleton.runIfActive { self.readLine(within: milliseconds) }
    }

    /// The next line (without its newline), or `nil` at the end of the stream or the deadline.
    func readLine(within milliseconds: Int32) -> String? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = Glibc.read(descriptor, &byte, 1)
            if count == 1 {
                if byte == 0x0A { return String(decoding: line, as: UTF8.self) }
                line.append(byte)
            } else if count == 0 {
                return nil
            } else if !wait(POLLIN, milliseconds: milliseconds) {
                return nil
            }
        }
    }

    func close() {
        Glibc.close(descriptor)
    }

    /// Whether the socket became ready for `events` in time.
    private func wait(_ events: Int32, milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(events), revents: 0)
        return poll(&entry, 1, milliseconds) > 0
    }
}

/// A client that sends its requests and shuts its side (`echo … | socat - UNIX-CONNECT:PATH`)
/// gets every reply, the last request's even without its newline, then the close.
@Suite(.timeLimit(.minutes(1)))
struct ControlHalfCloseTests {
    @Test func requestsThenShutdownAreAllAnswered() async throws {
        let control = temporaryPath("half-close-control")
        try await Harness.run({ $0.controlPath = control }) { _ in
            let client = try await ControlConnection.open(control).stream
            try await client.write(#"{"command":"status"}"# + "\n" + #"{"command":"signal","arguments":["7"]}"#)
            try await client.channel.close(mode: .output)
            let first = try await client.read(until: "\n", within: .seconds(30))
            let reply = try JSONDecoder().decode(ControlReply.self, from: Data(first.utf8))
            #expect(reply.ok && reply.status != nil)
            #expect(try await client.read(until: "\n", within: .seconds(30)) == #"{"ok":true}"# + "\n")
            try await client.waitForClose(within: .seconds(30))
        }
    }
}
