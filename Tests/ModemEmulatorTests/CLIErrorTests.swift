import Foundation
import ModemEmulator
import NIOCore
import NIOPosix
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Errors a person can act on: one line on stderr naming what failed and what to do, no usage
/// text, and the exit codes of README.md (1 refused, 64 usage, 65 bad data, 69 unavailable, 74 I/O).
@Suite(.enabled(if: modemExecutable != nil, "the modem executable is built with the tests"), .timeLimit(.minutes(1)))
struct CLIErrorTests {
    @Test func ctlWithoutAnEmulatorSaysWhatToStart() async throws {
        let path = temporaryPath("cli-missing")
        let result = try await ModemProcess.run(["ctl", "--control", path, "status"])
        #expect(result.status == 69)
        #expect(result.stdout.isEmpty)
        #expect(
            result.stderr
                == "modem ctl: cannot reach the emulator at \(path): nothing listens there; is modem emulate running (with --control \(path) unless that is its default)?\n"
        )
    }

    @Test func ctlReportsEveryErrorTheSameWay() async throws {
        let control = temporaryPath("cli-ctl")
        try await Harness.run({ $0.controlPath = control }) { _ in
            // The emulator refuses: its reply on stdout, the reason on stderr, exit 1.
            let refused = try await ModemProcess.run(["ctl", "--control", control, "remote-close", "3"])
            #expect(refused.status == 1)
            #expect(refused.stdout == "{\"error\":\"link 3 has no open socket\",\"ok\":false}\n")
            #expect(refused.stderr == "modem ctl: link 3 has no open socket\n")
            // A scenario file that cannot be read, or is not a scenario.
            let missing = temporaryPath("no-scenario")
            let unreadable = try await ModemProcess.run(["ctl", "--control", control, "scenario", missing])
            #expect(unreadable.status == 74)
            #expect(unreadable.stderr == "modem ctl: scenario \(missing): cannot read the file\n")
            let bad = temporaryPath("bad-scenario")
            try "{ not json".write(toFile: bad, atomically: false, encoding: .utf8)
            let invalid = try await ModemProcess.run(["ctl", "--control", control, "scenario", bad])
            #expect(invalid.status == 65)
            #expect(invalid.stderr.hasPrefix("modem ctl: scenario \(bad): "))
            #expect(!invalid.stderr.contains("Usage"))
            unlink(bad)
            // The command line itself is wrong: usage, 64.
            #expect(try await ModemProcess.run(["ctl", "--control", control]).status == 64)
        }
    }

    @Test func statusWithNothingListeningNamesTheAddress() async throws {
        let port = try await freePort()
        let result = try await ModemProcess.run(["status", "--tcp", "127.0.0.1:\(port)"])
        #expect(result.status == 69)
        #expect(
            result.stderr
                == "modem status: Cannot connect to 127.0.0.1:\(port): nothing listens there (connection refused). Is modem emulate --listen 127.0.0.1:\(port) (or ser2net) running?\n"
        )
    }

    /// Help is ArgumentParser's own, through the custom `main`: printed on stdout, exit 0.
    @Test(arguments: [["emulate", "--help"], ["help", "ctl"], ["--help"]])
    func helpStillWorks(arguments: [String]) async throws {
        let result = try await ModemProcess.run(arguments)
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: modem"))
        #expect(result.stderr.isEmpty)
    }

    @Test func aBareIPv6AddressIsAUsageError() async throws {
        let result = try await ModemProcess.run(["status", "--tcp", "::1:7005"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("IPv6 in brackets"))
    }

    @Test func portInUseNamesTheModemThePortAndWhatToDo() async throws {
        let taken = try await ServerBootstrap(group: NIOSingletons.posixEventLoopGroup).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(taken.localAddress?.port)
        // Two modems from port - 1: the second needs the taken port.
        let result = try await ModemProcess.run([
            "emulate", "--listen", "127.0.0.1:\(port - 1)", "--count", "2", "--log-level", "error",
        ])
        try await taken.close()
        #expect(result.status == 69)
        #expect(result.stderr.hasPrefix("modem emulate: modem 1: cannot listen on 127.0.0.1:\(port): Address already in use"))
        #expect(result.stderr.contains("choose a base port below the ephemeral range"))
        #expect(!result.stderr.contains("errno"))
    }

    @Test func outOfFileDescriptorsSaysUlimit() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", "ulimit -Sn 64 && exec \"$0\" emulate --listen 127.0.0.1:0 --count 200 --log-level error",
            modemExecutable!,
        ]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let exited = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Int32.self)
        process.terminationHandler = { exited.succeed($0.terminationStatus) }
        try process.run()
        let stderr = try await ByteStream.reading(descriptor: dup(errors.fileHandleForReading.fileDescriptor))
        #expect(try await exited.futureResult.get() == 69)
        let text = try await stderr.remainder()
        #expect(text.contains(": cannot listen on 127.0.0.1:0: Too many open files; the limit is 64 open files"), "\(text)")
        #expect(text.contains("ulimit -n"))
    }

    @Test(.enabled(if: ipv6LoopbackWorks(), "this machine has an IPv6 loopback"))
    func ipv6LiteralsInBrackets() async throws {
        let emulator = try await ModemProcess.start(["emulate", "--listen", "[::1]:0", "--log-level", "info"])
        defer { emulator.process.terminate() }
        let port = try await emulator.listeningPort(host: "[::1]")
        let status = try await ModemProcess.run(["status", "--tcp", "[::1]:\(port)"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("state: IP INITIAL"))
        #expect(try await emulator.stop() == 0)
    }

    /// The module's error reply is the output, and also the stderr line; exit 1.
    @Test func atCommandAnsweredWithErrorExitsOne() async throws {
        let emulator = try await ModemProcess.start(["emulate", "--listen", "127.0.0.1:0", "--log-level", "info"])
        defer { emulator.process.terminate() }
        let port = try await emulator.listeningPort()
        let result = try await ModemProcess.run(["at", "--tcp", "127.0.0.1:\(port)", "AT+CIPCLOSE"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("ERROR"))
        #expect(result.stderr == "modem at: AT+CIPCLOSE failed: ERROR\n")
        #expect(try await emulator.stop() == 0)
    }

    /// A second `--listen` client is told why it is refused, then closed; the first keeps the line.
    @Test func secondListenClientIsToldTheModemIsBusy() async throws {
        try await Harness.run({ $0.serial = .listen(host: "127.0.0.1", port: 0) }) { harness in
            try await harness.host.command("AT")
            guard case .tcp(let host, let port) = harness.address else { return }
            let second = try await ByteStream.connect(host: host, port: port)
            // A client that talks first still gets the banner (no reset for its unread bytes). The
            // emulator may have closed before the write: then the write fails, the banner is there.
            try? await second.write("AT\r\n")
            #expect(try await second.read(until: "\r\n") == "modem busy: another host is attached\r\n")
            try await second.waitForClose()
            try await harness.host.command("AT")
        }
    }
}

/// Whether a socket can be bound on `::1`.
func ipv6LoopbackWorks() -> Bool {
    let descriptor = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_loopback
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
    } == 0
}
