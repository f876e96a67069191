import Foundation
import ModemEmulator
import NIOCore
import TestSupport
import Testing

/// A fast peer pushing 10 MiB into a shaped link meets back-pressure: the emulator's resident
/// memory stays within a fixed bound.
///
/// The emulator runs as its own process (`modem emulate`) and its `VmRSS` is read from
/// `/proc/<pid>/status`: the test process's own memory moves with every other test running in
/// parallel (and holds the peer's 10 MiB), so only a separate process gives a clean figure.
@Suite(.enabled(if: modemExecutable != nil, "the modem executable is built with the tests"), .machineLoad, .timeLimit(.minutes(3)))
struct NetworkMemoryTests {
    @Test func fastPeerIntoShapedLinkStaysBounded() async throws {
        try await withServer(LinkPeerServer.start()) { server in
            // 8 Mbit/s downlink: the shaper, not the PTY, is the slowest stage.
            let emulator = try await EmulatorProcess.start(["--pty", "--net-down", "8000"])
            defer { emulator.stop() }

            let host = ModemSession(stream: try await ByteStream.openTerminal(emulator.firstLine))
            try await host.bringUp()
            try await host.command("AT+CIPHEAD=1")
            try await host.open(port: server.port)
            let peer = try await server.next()
            let baseline = try emulator.residentKiB()

            let offered = 10 << 20
            peer.channel.writeAndFlush(ByteBuffer(bytes: randomBytes(offered)), promise: nil)
            var received = 0
            var peak = baseline
            let readTarget = 3 << 20
            var nextSample = 0
            while received < readTarget {
                guard case .data(_, let bytes) = try await host.nextFrame() else { throw StreamClosed() }
                received += bytes.count
                if received >= nextSample {
                    peak = max(peak, try emulator.residentKiB())
                    nextSample += 128 << 10
                }
            }
            let growth = peak - baseline
            print("[NetworkMemoryTests] VmRSS baseline \(baseline) KiB, peak \(peak) KiB (+\(growth) KiB) with 10 MiB offered, \(received) bytes read")
            // Without the bound, the shaper would read the whole 10 MiB off loopback at once.
            #expect(growth < 6 * 1024)
            await host.stream.close()
            emulator.stop()
        }
    }

    /// `VmRSS` of a process, in KiB.
    static func residentKiB(of pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let value = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { throw StreamClosed() }
        return value
    }
}
