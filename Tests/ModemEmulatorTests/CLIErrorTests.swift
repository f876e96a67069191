import Foundation
import ModemEmulator
import NIOCore
import NIOPosix
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Errors a person can act on: one line on stderr naming what failed and what to do, no usage
/// text, and the exit codes of README.md (1 refused, 64 usage, 65 bad data, 69 unavailable, 74 I/O).
@Suite(.enabled(if: networkTestExecutable != nil, "the modem executable is built with the tests"), .timeLimit(.minutes(1)))
struct CLIErrorTests {
    @Test func ctlWithoutAnEmulatorSaysWhatToStart() async throws {
        let path = temporaryPath("cli-missing")
        let result = try await ModemProcess.run(["ctl", "--control", path, "status"])
        #expect(result.status == 69)
        #expect(result.stdout.isEmpty)
        #expect(
            result.stderr
                == "modem ctl: cannot reach the emulator at \(path): nothing listens there; is modem emulate --control \(path) running?\n"
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

    @Test func aBareIPv6AddressIsAUsageError() async throws {
        let result = try await ModemProcess.run(["status", "--tcp", "::1:7005"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("IPv6 in brackets"))
    }
}
