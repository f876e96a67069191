import Foundation
import NIOCore
import NIOPosix
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The `modem` executable run as a user runs it, with deadlines instead of sleeps.
struct ModemProcess: Sendable {
    let process: Process
    /// Everything the process writes on stdout and stderr (when they were not redirected).
    let stdout: ByteStream?
    let stderr: ByteStream?
    private let exited: EventLoopPromise<Int32>

    /// The process's id.
    var pid: Int32 { process.processIdentifier }

    /// Starts `modem arguments`; stdin, stdout and stderr are pipes the test reads unless given.
    /// `controlPath` is its `MODEM_CONTROL` (the default control socket): a path of its own unless
    /// given, so that the emulators of parallel tests do not meet at the user's default.
    static func start(
        _ arguments: [String], stdin: FileHandle? = nil, stdout: FileHandle? = nil, stderr: FileHandle? = nil,
        controlPath: String? = nil
    ) async throws -> ModemProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: modemExecutable!)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["MODEM_CONTROL"] = controlPath ?? temporaryPath("default-ctl")
        process.environment = environment
        let outPipe = stdout == nil ? Pipe() : nil
        let errPipe = stderr == nil ? Pipe() : nil
        process.standardInput = stdin ?? FileHandle.nullDevice
        process.standardOutput = stdout ?? outPipe
        process.standardError = stderr ?? errPipe
        let exited = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Int32.self)
        process.terminationHandler = { exited.succeed($0.terminationStatus) }
        try process.run()
        var out: ByteStream?
        var err: ByteStream?
        if let outPipe { out = try await ByteStream.reading(descriptor: dup(outPipe.fileHandleForReading.fileDescriptor)) }
        if let errPipe { err = try await ByteStream.reading(descriptor: dup(errPipe.fileHandleForReading.fileDescriptor)) }
        return ModemProcess(process: process, stdout: out, stderr: err, exited: exited)
    }

    /// Runs `modem arguments` to its end: its exit status and everything it printed.
    static func run(_ arguments: [String], within timeout: Duration = .seconds(30), controlPath: String? = nil)
        async throws -> (status: Int32, stdout: String, stderr: String)
    {
        let process = try await start(arguments, controlPath: controlPath)
        let status = try await process.exitStatus(within: timeout)
        return (status, try await process.stdout!.remainder(), try await process.stderr!.remainder())
    }

    /// Waits for the process to exit; fails at the deadline.
    func exitStatus(within timeout: Duration = .seconds(30)) async throws -> Int32 {
        let loop = exited.futureResult.eventLoop
        let deadline = loop.scheduleTask(in: .milliseconds(Int64(timeout.components.seconds * 1000))) {
            exited.fail(StreamTimeout(waitingFor: "modem \(process.arguments ?? []) to exit", buffered: []))
        }
        defer { deadline.cancel() }
        return try await exited.futureResult.get()
    }

    /// The port of `--listen HOST:0`, from the log line that names it (`--log-level info`).
    func listeningPort(host: String = "127.0.0.1") async throws -> Int {
        _ = try await stderr!.read(until: "serial line on tcp://\(host):")
        let rest = try await stderr!.read(until: "\n")
        guard let port = Int(rest.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw StreamClosed() }
        return port
    }

    /// SIGTERM, then the exit status.
    func stop() async throws -> Int32 {
        if process.isRunning { process.terminate() }
        return try await exitStatus()
    }

    /// `VmRSS` of the process, in KiB.
    func residentKiB() throws -> Int { try NetworkMemoryTests.residentKiB(of: pid) }
}

extension ByteStream {
    /// Everything up to the end of the stream.
    func remainder(within timeout: Duration = .seconds(10)) async throws -> String {
        var text = ""
        while true {
            do {
                let bytes: [UInt8] = try await read("more bytes", within: timeout) { slice in
                    slice.isEmpty ? nil : (slice.count, Array(slice))
                }
                text += String(decoding: bytes, as: UTF8.self)
            } catch is StreamClosed {
                return text
            }
        }
    }
}
