import Foundation

/// The `modem` executable SwiftPM builds beside the test bundle; `nil` when it is not there.
public let modemExecutable: String? = {
    guard let bundle = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
    let path = URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("modem").path
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}()

/// How a run of the `modem` executable ended.
public struct ModemRun: Sendable {
    /// The exit status (or the signal that ended it).
    public var status: Int32
    /// Standard output.
    public var output: String
    /// Standard error.
    public var error: String
}

/// The `modem` executable is not beside the test bundle.
public struct ModemExecutableMissing: Error {}

/// Runs the `modem` executable with `arguments` and `input` (or nothing) on its standard input, and
/// returns once it exited. The pipes are read off Swift's cooperative pool, whose few threads a
/// blocking read would take from the tasks the run waits on (an emulator, a scripted module).
public func runModem(_ arguments: [String], input: String? = nil) async throws -> ModemRun {
    guard let modemExecutable else { throw ModemExecutableMissing() }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: modemExecutable)
    process.arguments = arguments
    let output = Pipe()
    let error = Pipe()
    let stdin = Pipe()
    process.standardOutput = output
    process.standardError = error
    process.standardInput = stdin
    let exited = AsyncStream.makeStream(of: Int32.self)
    process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    let (data, errorData) = await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            let data = output.fileHandleForReading.readDataToEndOfFile()
            continuation.resume(returning: (data, error.fileHandleForReading.readDataToEndOfFile()))
        }
    }
    var status: Int32 = -1
    for await code in exited.stream {
        status = code
        break
    }
    let text = (String(decoding: data, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
    return ModemRun(status: status, output: text.0, error: text.1)
}
