import Foundation
import TestSupport
import Testing

/// `modem emulate --http` and `modem ctl --http` as a user runs them.
@Suite(.enabled(if: modemExecutable != nil, "the modem executable is built with the tests"), .timeLimit(.minutes(1)))
struct LiveCommandLineTests {
    @Test("--http prints the URL after the PTY path, and modem ctl --http drives the modem through it")
    func controlOverHTTP() async throws {
        let process = try await ModemProcess.start(["emulate", "--pty", "--http", ":0", "--log-level", "error"])
        defer { process.process.terminate() }
        let path = try await process.stdout!.read(until: "\n")
        #expect(path.hasPrefix("/dev/pts/"))
        let url = try await process.stdout!.read(until: "\n").trimmingCharacters(in: .newlines)
        #expect(url.hasPrefix("http://127.0.0.1:") && url.hasSuffix("/"), "\(url)")
        let host = ModemSession(stream: try await ByteStream.openTerminal(path.trimmingCharacters(in: .newlines)))
        defer { Task { await host.stream.close() } }
        try await host.command("AT+CSTT=\"internet\"")

        let status = try await ModemProcess.run(["ctl", "--http", url, "status"])
        #expect(status.status == 0)
        #expect(status.stdout.contains(#""state":"IP START""#), "\(status.stdout)")
        let refused = try await ModemProcess.run(["ctl", "--http", url, "remote-close", "0"])
        #expect(refused.status == 1 && refused.stdout.contains(#""ok":false"#), "\(refused.stderr)")
        let network = try await ModemProcess.run(["ctl", "--http", url, "network", "preset=edge"])
        #expect(network.status == 0 && network.stdout.contains(#""network":"edge"#), "\(network.stdout)")
        process.process.terminate()
        #expect(try await process.exitStatus() == 0)
    }

    @Test("beyond loopback a token is generated and required; ctl takes it from the URL or --http-token")
    func generatedToken() async throws {
        let process = try await ModemProcess.start(["emulate", "--pty", "--http", "0.0.0.0:0", "--log-level", "error"])
        defer { process.process.terminate() }
        _ = try await process.stdout!.read(until: "\n")
        let url = try await process.stdout!.read(until: "\n").trimmingCharacters(in: .newlines)
        let token = try #require(url.split(separator: "?token=").last.map(String.init))
        #expect(token.count == 32 && token.allSatisfy(\.isHexDigit), "\(url)")
        let base = String(url.prefix { $0 != "?" }).replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
        let refused = try await ModemProcess.run(["ctl", "--http", base, "status"])
        #expect(refused.status == 1 && refused.stdout.contains("token"), "\(refused.stdout)")
        #expect(try await ModemProcess.run(["ctl", "--http", base, "--http-token", token, "status"]).status == 0)
        #expect(try await ModemProcess.run(["ctl", "--http", "\(base)?token=\(token)", "status"]).status == 0)
    }

    @Test("usage errors: a bad --http, a token without --http, ctl with both or neither, nothing listening")
    func usage() async throws {
        for arguments in [
            ["emulate", "--pty", "--http", "nowhere"], ["emulate", "--pty", "--http-token", "t"],
            ["emulate", "--pty", "--http", ":0", "--http-token", "a b"], ["emulate", "--pty", "--no-control", "--control", "x"],
            ["ctl", "--control", "/tmp/x", "--http", "http://127.0.0.1:1/", "status"], ["ctl", "--http", "ftp://x:1", "status"],
        ] {
            let run = try await ModemProcess.run(arguments)
            #expect(run.status == 64, "\(arguments): \(run.stderr)")
        }
        let nobody = try await ModemProcess.run(["ctl", "--http", "http://127.0.0.1:1/", "status"])
        #expect(nobody.status == 69 && nobody.stderr.contains("cannot reach"), "\(nobody.stderr)")
    }

    @Test("the default control socket: modem ctl finds it without flags; a second emulator starts without one")
    func defaultControlPath() async throws {
        let control = temporaryPath("default-control")
        let first = try await ModemProcess.start(["emulate", "--pty", "--log-level", "info"], controlPath: control)
        defer { first.process.terminate() }
        _ = try await first.stdout!.read(until: "\n")
        _ = try await first.stderr!.read(until: "control socket on \(control)")
        let status = try await ModemProcess.run(["ctl", "status"], controlPath: control)
        #expect(status.status == 0 && status.stdout.contains(#""ok":true"#), "\(status.stderr)")

        let second = try await ModemProcess.start(["emulate", "--pty", "--log-level", "info"], controlPath: control)
        defer { second.process.terminate() }
        _ = try await second.stdout!.read(until: "\n")
        let notice = try await second.stderr!.read(until: "give --control PATH")
        #expect(notice.contains("belongs to another emulator (pid \(first.pid))"), "\(notice)")
        // The first one still owns it.
        #expect(try await ModemProcess.run(["ctl", "status"], controlPath: control).status == 0)
        let none = try await ModemProcess.run(["emulate", "--pty", "--no-control", "--stdio"], controlPath: control)
        #expect(none.status == 64)
    }

    @Test("with --stdio, stdout is the serial line: the URL stays out of it, and EOF still ends the run")
    func stdioKeepsTheURLOut() async throws {
        let run = try await runModem(
            ["emulate", "--stdio", "--http", ":0", "--no-control", "--log-level", "error"], input: "AT\r")
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("OK\r\n"), "\(run.output.debugDescription)")
        #expect(!run.output.contains("http://"), "\(run.output.debugDescription)")
    }
}
