import Foundation

/// The `modem` executable SwiftPM builds beside the test bundle; `nil` when it is not there.
public let modemExecutable: String? = {
    guard let bundle = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
    let path = URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("modem").path
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}()
