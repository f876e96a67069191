import Foundation
import ModemEmulator
import TestSupport
import Testing

/// `modem emulate --pty` as a user runs it: the device path is the first stdout line, `modem ctl`
/// talks to it, and SIGTERM removes the symlink and the control socket.
@Suite(.enabled(if: modemExecutable != nil, "the modem executable is built with the tests"))
struct CommandLineTests {
    @Test func emulateOnAPTYUntilSIGTERM() async throws {
        let link = temporaryPath("cli-tty")
        let control = temporaryPath("cli-control")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: modemExecutable!)
        process.arguments = [
            "emulate", "--pty", "--link", link, "--control", control, "--echo", "off", "--activation-delay", "1ms",
            "--log-level", "error",
        ]
        let output = Pipe()
        process.standardOutput = output
        let exited = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let stdout = try await ByteStream.reading(descriptor: dup(output.fileHandleForReading.fileDescriptor))
        let firstLine = try await stdout.read(until: "\n")
        #expect(firstLine.hasPrefix("/dev/pts/"))

        let host = ModemSession(stream: try await ByteStream.openTerminal(link))
        try await host.bringUp()
        #expect(try await host.singleState() == "IP STATUS")

        let ctl = Process()
        ctl.executableURL = process.executableURL
        ctl.arguments = ["ctl", "--control", control, "pdp-deact"]
        let ctlOutput = Pipe()
        ctl.standardOutput = ctlOutput
        try ctl.run()
        let reply = try await ByteStream.reading(descriptor: dup(ctlOutput.fileHandleForReading.fileDescriptor))
        #expect(try await reply.read(until: "\n") == "{\"ok\":true}\n")
        try await host.expect("\r\n+PDP: DEACT\r\n")
        await host.stream.close()

        process.terminate()
        var status: Int32?
        for await code in exited.stream {
            status = code
            break
        }
        #expect(status == 0)
        #expect(access(link, F_OK) != 0)
        #expect(access(control, F_OK) != 0)
    }
}
