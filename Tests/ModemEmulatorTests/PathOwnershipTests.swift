import Foundation
import ModemEmulator
import NIOCore
import NIOPosix
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One emulator cannot take over another's `--link` or `--control` path; a stale one (its
/// emulator is gone) is replaced.
@Suite(.enabled(if: modemExecutable != nil, "the modem executable is built with the tests"), .timeLimit(.minutes(1)))
struct PathOwnershipTests {
    static func emulate(link: String, control: String) -> [String] {
        ["emulate", "--pty", "--link", link, "--control", control, "--echo", "off", "--log-level", "error"]
    }

    @Test func secondEmulatorOnTheSamePathsIsRefusedNamingTheFirst() async throws {
        let link = temporaryPath("own-tty")
        let control = temporaryPath("own-control")
        let first = try await ModemProcess.start(Self.emulate(link: link, control: control))
        defer { first.process.terminate() }
        let device = try await first.stdout!.read(until: "\n").trimmingCharacters(in: .whitespacesAndNewlines)

        // Same link and control socket; then only the same link; then only the same control socket.
        for arguments in [
            Self.emulate(link: link, control: control),
            Self.emulate(link: link, control: temporaryPath("own-other-control")),
            Self.emulate(link: temporaryPath("own-other-tty"), control: control),
        ] {
            let second = try await ModemProcess.run(arguments)
            #expect(second.status == 69)
            #expect(second.stderr.contains("belongs to a running emulator (pid \(first.pid))"), "\(second.stderr)")
            #expect(!second.stderr.contains("Usage"))
        }

        // The first still owns both: its link points at its device, and its control socket answers.
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == device)
        let status = try await ControlClient.request(ControlRequest(command: "status"), to: control)
        #expect(status.ok)
        let host = ModemSession(stream: try await ByteStream.openTerminal(link))
        try await host.command("AT")
        await host.stream.close()

        #expect(try await first.stop() == 0)
        for path in [link, control, link + ".lock", control + ".lock"] {
            #expect(access(path, F_OK) != 0, "\(path) is left behind")
        }
    }

    @Test func staleLinkSocketAndLockAreReplaced() async throws {
        let link = temporaryPath("stale-tty")
        let control = temporaryPath("stale-control")
        // What a killed emulator leaves: a symlink to a device that is gone, a socket file nobody
        // listens on, and lock files naming a process that is gone (their locks died with it).
        #expect(symlink("/dev/pts/999999", link) == 0)
        _ = try UnixSocketClient.leaveStaleSocket(at: control)
        for path in [link + ".lock", control + ".lock"] {
            try "999999\n".write(toFile: path, atomically: false, encoding: .utf8)
        }
        let emulator = try await ModemProcess.start(Self.emulate(link: link, control: control))
        defer { emulator.process.terminate() }
        let device = try await emulator.stdout!.read(until: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == device)
        #expect(try await ControlClient.request(ControlRequest(command: "status"), to: control).ok)
        let lock = try String(contentsOfFile: link + ".lock", encoding: .utf8)
        #expect(lock == "\(emulator.pid)\n")
        #expect(try await emulator.stop() == 0)
    }
}

/// A control path another process listens on (an emulator from before path locks, or another
/// program) is refused too, naming that process: the socket is probed before it is replaced.
@Suite(.enabled(if: modemExecutable != nil, "the modem executable is built with the tests"), .timeLimit(.minutes(1)))
struct LiveControlSocketTests {
    @Test func aListenedSocketIsNotTakenOver() async throws {
        let control = temporaryPath("listened-control")
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: control).get()
        let result = try await ModemProcess.run(["emulate", "--pty", "--control", control, "--log-level", "error"])
        #expect(result.status == 69)
        #expect(
            result.stderr
                == "modem emulate: a running process (pid \(getpid())) listens on \(control); stop it (kill \(getpid())) or choose another path\n"
        )
        // Still this process's socket.
        let client = try UnixSocketClient(path: control)
        client.close()
        try await server.close()
        unlink(control)
    }
}
