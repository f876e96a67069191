import Foundation
import TestSupport
import Testing

@testable import ModemEmulator

#if canImport(Glibc)
import Glibc
#endif

/// `modem emulate --stdio` with files, `/dev/null` and a terminal on its stdin and stdout.
@Suite(.enabled(if: modemExecutable != nil, "the modem executable is built with the tests"), .timeLimit(.minutes(1)))
struct StdioTests {
    static let arguments = ["emulate", "--stdio", "--echo", "off", "--log-level", "error"]

    /// Runs `modem emulate --stdio` with `script` in a file on stdin and a file on stdout; returns
    /// the exit status, the log and stderr.
    static func run(script: String, options: [String] = []) async throws -> (status: Int32, log: String, stderr: String) {
        let scriptPath = temporaryPath("stdio-script")
        let logPath = temporaryPath("stdio-log")
        try script.write(toFile: scriptPath, atomically: false, encoding: .utf8)
        #expect(FileManager.default.createFile(atPath: logPath, contents: nil))
        defer { for path in [scriptPath, logPath] { unlink(path) } }
        let emulator = try await ModemProcess.start(
            arguments + options, stdin: FileHandle(forReadingAtPath: scriptPath), stdout: FileHandle(forWritingAtPath: logPath))
        let status = try await emulator.exitStatus()
        return (status, try String(contentsOfFile: logPath, encoding: .utf8), try await emulator.stderr!.remainder())
    }

    /// A script of commands in, a log out: both regular files (epoll cannot watch either).
    @Test func scriptFileInLogFileOut() async throws {
        let result = try await Self.run(script: "AT\r\nAT\r\nAT+CIPSTATUS\r\n")
        #expect(result.status == 0)
        #expect(result.log == "\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n\r\nSTATE: IP INITIAL\r\n")
        #expect(result.stderr == "")
    }

    /// The end of the script does not cut off replies still to come: AT+CIICR takes 300 ms.
    @Test func scriptEndWaitsForTheLastReplies() async throws {
        let result = try await Self.run(
            script: "AT+CSTT=\"internet\"\r\nAT+CIICR\r\nAT+CIPSTATUS\r\n", options: ["--activation-delay", "300ms"])
        #expect(result.status == 0)
        #expect(result.log == "\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n\r\nSTATE: IP GPRSACT\r\n")
    }

    @Test(arguments: [("/dev/null", "/dev/null"), ("/dev/null", "file"), ("file", "/dev/null")])
    func devNullOnEitherSide(input: String, output: String) async throws {
        let file = temporaryPath("stdio-file")
        try "AT\r\n".write(toFile: file, atomically: false, encoding: .utf8)
        defer { unlink(file) }
        let stdin = FileHandle(forReadingAtPath: input == "file" ? file : input)
        let stdout = FileHandle(forWritingAtPath: output == "file" ? file : output)
        let emulator = try await ModemProcess.start(Self.arguments, stdin: stdin, stdout: stdout)
        #expect(try await emulator.exitStatus() == 0)
        #expect(try await emulator.stderr!.remainder() == "")
    }

    /// On a terminal each typed line is echoed once, by the module (`ATE1`), not also by the
    /// terminal; the terminal's settings are put back when the emulator stops.
    @Test func terminalEchoesOnceAndIsRestored() async throws {
        let terminal = try PseudoTerminal.open()
        defer {
            close(terminal.master)
            close(terminal.slave)
        }
        // A terminal as a shell leaves it: canonical mode, echo, CR to NL on input.
        var cooked = termios()
        tcgetattr(terminal.slave, &cooked)
        cooked.c_lflag |= tcflag_t(ECHO | ICANON | ISIG)
        cooked.c_iflag |= tcflag_t(ICRNL)
        cooked.c_oflag |= tcflag_t(OPOST | ONLCR)
        tcsetattr(terminal.slave, TCSANOW, &cooked)

        let device = FileHandle(fileDescriptor: terminal.slave, closeOnDealloc: false)
        let emulator = try await ModemProcess.start(
            ["emulate", "--stdio", "--log-level", "info"], stdin: device, stdout: device)
        defer { emulator.process.terminate() }
        _ = try await emulator.stderr!.read(until: "serial line on stdin (terminal)")
        let screen = try await ByteStream.reading(descriptor: dup(terminal.master))
        #expect(write(terminal.master, "AT\r", 3) == 3)
        let shown = try await screen.read(until: "OK\r\n")
        #expect(shown == "AT\r\r\nOK\r\n", "what the terminal shows: \(shown.debugDescription)")

        let status = try await emulator.stop()
        let log = try await emulator.stderr!.remainder()
        #expect(status == 0, "\(log)")
        var after = termios()
        tcgetattr(terminal.slave, &after)
        #expect(after.c_lflag & tcflag_t(ECHO) != 0)
        #expect(after.c_lflag & tcflag_t(ICANON) != 0)
        await screen.close()
    }
}
