import Foundation
import ModemEmulator
import NIOCore
import NIOPosix
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Whoever stops reading, the emulator's memory stays bounded and the modem still answers
/// (issue 11 §2, STYLE.md §2b): a serial host that writes but never reads (on a PTY and over
/// `--listen`) and a link peer that never reads (normal send, quick send, transparent mode).
///
/// Each test runs `modem emulate` as its own process and reads its `VmRSS`: the test process's
/// memory moves with every other test running in parallel.
@Suite(.enabled(if: modemExecutable != nil, "the modem executable is built with the tests"), .machineLoad, .timeLimit(.minutes(3)))
struct StoppedReaderMemoryTests {
    /// Most the emulator's resident memory may grow while somebody does not read.
    static let bound = 8 * 1024  // KiB
    /// How long the party that does not read keeps going.
    static let flood = Duration.seconds(3)

    @Test("a serial host that writes commands and never reads", arguments: [
        ("AT\r", [String]()), ("AT+CIPSTATUS\r", []), ("AT+CIPSTATUS\r", ["--baud", "115200"]),
    ])
    func serialHostOnPTY(command: String, options: [String]) async throws {
        let emulator = try await EmulatorProcess.start(["--pty"] + options)
        defer { emulator.stop() }
        let device = try RawDevice.openTerminal(emulator.firstLine)
        defer { device.close() }
        // A paced line takes minutes to drain the backlog: there it is enough that replies flow.
        try await expectBoundedFlood(
            of: emulator, into: device, bytes: Array(String(repeating: command, count: 512).utf8),
            answer: options.isEmpty ? ("\rAT+GSN\r", "001010123456780") : ("", "OK\r\n"),
            // The modem stops reading: the host can write no more than the PTY and one read hold.
            maximumWritten: 256 * 1024)
    }

    @Test("a --listen client that writes commands and never reads")
    func serialHostOverTCP() async throws {
        let emulator = try await EmulatorProcess.start(["--listen", "127.0.0.1:0"], logLevel: "info")
        defer { emulator.stop() }
        let port = try await emulator.listeningPort()
        let device = try RawDevice.connect(port: port)
        defer { device.close() }
        try await expectBoundedFlood(of: emulator, into: device, bytes: Array(String(repeating: "AT+CIPSTATUS\r", count: 512).utf8))
    }

    @Test("line noise injected while the serial host does not read is dropped, not queued")
    func noiseWhileTheHostDoesNotRead() async throws {
        let control = temporaryPath("noise-control")
        let emulator = try await EmulatorProcess.start(["--pty", "--control", control])
        defer { emulator.stop() }
        let device = try RawDevice.openTerminal(emulator.firstLine)
        defer { device.close() }
        let baseline = try emulator.residentKiB()
        // 300 × 64 KiB is 19 MiB of noise for a host that reads none of it.
        for _ in 0..<300 {
            let reply = try await ControlClient.request(ControlRequest(command: "noise", arguments: ["65536"]), to: control)
            #expect(reply.ok)
        }
        let growth = try emulator.residentKiB() - baseline
        print("[StoppedReaderMemoryTests] 300 noise events of 64 KiB to a host that does not read; VmRSS +\(growth) KiB")
        #expect(growth < Self.bound)
        // The modem still answers once the host reads.
        #expect(try await device.exchange("\rAT+GSN\r", until: "001010123456780", within: .seconds(20)))
    }

    @Test("a link peer that never reads", arguments: [
        (SendMode.normal, ["--pty"]), (.quick, ["--listen", "127.0.0.1:0"]), (.normal, ["--pty", "--net-up", "100000"]),
    ])
    func linkPeerNeverReads(mode: SendMode, options: [String]) async throws {
        let peer = try await SilentPeer.start()
        defer { peer.stop() }
        let emulator = try await EmulatorProcess.start(options, logLevel: "info")
        defer { emulator.stop() }
        let stream: ByteStream
        if options.contains("--pty") {
            stream = try await ByteStream.openTerminal(emulator.firstLine)
        } else {
            stream = try await ByteStream.connect(port: try await emulator.listeningPort())
        }
        let host = ModemSession(stream: stream)
        try await withCleanup {
            if mode == .quick { try await host.command("AT+CIPQSEND=1") }
            try await host.bringUp()
            try await host.open(port: peer.port)
            let baseline = try emulator.residentKiB()
            var peak = baseline
            let block = randomBytes(1460)
            let result = mode == .quick ? "DATA ACCEPT:1460" : "SEND OK"
            // The peer's 4 KiB and the link socket's 64 KiB fill after about 80 sends: 2,000 bound the run.
            var accepted = 0
            var held = false
            while accepted < 2000 {
                try await host.command("AT+CIPSEND=1460", until: "> ")
                try await host.stream.write(block)
                do {
                    try await host.expect("\r\n\(result)\r\n", within: .seconds(2))
                    accepted += 1
                } catch is StreamTimeout {
                    // The module's send buffer is full and the network takes nothing more: it holds.
                    held = true
                    break
                }
                if accepted % 256 == 0 { peak = max(peak, try emulator.residentKiB()) }
            }
            peak = max(peak, try emulator.residentKiB())
            print("[StoppedReaderMemoryTests] \(mode) send: \(accepted) sends of 1460 B accepted, then held=\(held); VmRSS +\(peak - baseline) KiB")
            #expect(held, "the modem kept accepting data that nobody reads")
            #expect(peak - baseline < Self.bound)
        } cleanup: {
            await host.stream.close()
        }
    }

    @Test("transparent mode to a link peer that never reads: the serial line stops")
    func transparentModePeerNeverReads() async throws {
        let peer = try await SilentPeer.start()
        defer { peer.stop() }
        let emulator = try await EmulatorProcess.start(["--pty"])
        defer { emulator.stop() }
        let host = ModemSession(stream: try await ByteStream.openTerminal(emulator.firstLine))
        try await host.command("AT+CIPMODE=1")
        try await host.bringUp()
        try await host.command("AT+CIPSTART=\"TCP\",\"127.0.0.1\",\(peer.port)", until: "\r\nCONNECT\r\n")
        await host.stream.close()
        // The host writes raw data as fast as the line takes it and never reads.
        let device = try RawDevice.openTerminal(emulator.firstLine)
        defer { device.close() }
        let baseline = try emulator.residentKiB()
        let (written, peak) = try await device.flood(randomBytes(64 * 1024), for: Self.flood) { try emulator.residentKiB() }
        print("[StoppedReaderMemoryTests] transparent: \(written) bytes taken from the host; VmRSS +\(peak - baseline) KiB")
        #expect(peak - baseline < Self.bound)
    }

    /// Floods `device` with `bytes` for ``flood`` without reading, checks the emulator's memory,
    /// then reads: the backlog drains and the modem answers a command after it.
    private func expectBoundedFlood(
        of emulator: EmulatorProcess, into device: RawDevice, bytes: [UInt8],
        answer: (command: String, marker: String) = ("\rAT+GSN\r", "001010123456780"), maximumWritten: Int? = nil
    ) async throws {
        let baseline = try emulator.residentKiB()
        let (written, peak) = try await device.flood(bytes, for: Self.flood) { try emulator.residentKiB() }
        print("[StoppedReaderMemoryTests] \(written) bytes of commands written without reading; VmRSS +\(peak - baseline) KiB")
        #expect(peak - baseline < Self.bound)
        if let maximumWritten { #expect(written < maximumWritten) }
        // The modem went on: once the host reads, every queued command is answered, then this one
        // (its CR first ends whatever part of a command the flood stopped in).
        #expect(try await device.exchange(answer.command, until: answer.marker, within: .seconds(20)))
    }
}

enum SendMode: String, Sendable, CustomTestStringConvertible {
    case normal, quick
    var testDescription: String { rawValue }
}

/// `modem emulate` as a child process (``ModemProcess``), echo off, near-instant activation.
struct EmulatorProcess: Sendable {
    let modem: ModemProcess
    /// With `--pty`: the device path, the first line the emulator prints.
    let firstLine: String

    static func start(_ arguments: [String], logLevel: String = "error") async throws -> EmulatorProcess {
        let modem = try await ModemProcess.start(
            ["emulate"] + arguments + ["--echo", "off", "--activation-delay", "1ms", "--log-level", logLevel])
        var firstLine = ""
        if arguments.contains("--pty") {
            firstLine = try await modem.stdout!.read(until: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return EmulatorProcess(modem: modem, firstLine: firstLine)
    }

    /// The port of `--listen 127.0.0.1:0`.
    func listeningPort() async throws -> Int { try await modem.listeningPort() }

    func residentKiB() throws -> Int { try modem.residentKiB() }

    func stop() {
        if modem.process.isRunning { modem.process.terminate() }
    }
}

/// A host's end of the serial line driven by plain non-blocking reads and writes, so that a test
/// can write without reading.
final class RawDevice: Sendable {
    let descriptor: CInt

    private init(descriptor: CInt) {
        self.descriptor = descriptor
    }

    static func openTerminal(_ path: String) throws -> RawDevice {
        RawDevice(descriptor: try openRawTerminal(path))
    }

    static func connect(port: Int) throws -> RawDevice {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StreamClosed() }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw StreamClosed()
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        // A UART-sized send buffer: Linux would grow it to megabytes of commands for the modem to
        // work through once the host reads again.
        var size: CInt = 32 * 1024
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<CInt>.size))
        return RawDevice(descriptor: fd)
    }

    func close() {
        Glibc.close(descriptor)
    }

    /// Writes `bytes` over and over for `duration` without reading, waiting with `poll` whenever
    /// the line takes nothing; samples `measure` every 100 ms. Runs on a thread of its own.
    /// Returns the bytes written and the largest sample.
    func flood(_ bytes: [UInt8], for duration: Duration, measure: @escaping @Sendable () throws -> Int) async throws
        -> (written: Int, peak: Int)
    {
        let fd = descriptor
        return try await NIOThreadPool.singleton.runIfActive {
            let clock = ContinuousClock()
            let end = clock.now + duration
            var nextSample = clock.now
            var written = 0
            var peak = try measure()
            var offset = 0
            while clock.now < end {
                if clock.now >= nextSample {
                    peak = max(peak, try measure())
                    nextSample = clock.now + .milliseconds(100)
                }
                var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                guard poll(&entry, 1, 50) > 0 else { continue }
                let count = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    written += count
                    offset = (offset + count) % bytes.count
                } else if count < 0, errno != EAGAIN, errno != EINTR {
                    break
                }
            }
            return (written, max(peak, try measure()))
        }
    }

    /// Reads (discarding) while writing `command`, until `marker` has been read; false at the deadline.
    func exchange(_ command: String, until marker: String, within timeout: Duration) async throws -> Bool {
        let fd = descriptor
        return try await NIOThreadPool.singleton.runIfActive {
            let clock = ContinuousClock()
            let end = clock.now + timeout
            var pending = Array(command.utf8)[...]
            let needle = Array(marker.utf8)
            var tail: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while clock.now < end {
                var entry = pollfd(fd: fd, events: Int16(POLLIN) | (pending.isEmpty ? 0 : Int16(POLLOUT)), revents: 0)
                guard poll(&entry, 1, 50) > 0 else { continue }
                if !pending.isEmpty, entry.revents & Int16(POLLOUT) != 0 {
                    let count = pending.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                    if count > 0 { pending = pending.dropFirst(count) }
                }
                if entry.revents & Int16(POLLIN) != 0 {
                    let count = read(fd, &buffer, buffer.count)
                    guard count > 0 else { continue }
                    // Only what follows the command can be its answer.
                    guard pending.isEmpty else { continue }
                    tail += buffer[..<count]
                    if tail.firstRange(of: needle) != nil { return true }
                    tail = Array(tail.suffix(needle.count))
                }
            }
            return false
        }
    }
}

/// A TCP server whose connections are accepted and never read.
final class SilentPeer: Sendable {
    let port: Int
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
        port = channel.localAddress!.port!
    }

    static func start() async throws -> SilentPeer {
        // A small receive buffer, so that the kernel's buffers fill after a few hundred KiB.
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.socketOption(.so_rcvbuf), value: 4096)
            .childChannelOption(.autoRead, value: false)
            .bind(host: "127.0.0.1", port: 0).get()
        return SilentPeer(channel: channel)
    }

    func stop() {
        channel.close(promise: nil)
    }
}
