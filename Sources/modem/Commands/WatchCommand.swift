import ArgumentParser
import Foundation

/// `modem watch`: status changes and unsolicited results as they happen.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print status changes and unsolicited results until interrupted."
    )

    @OptionGroup var transport: TransportOptions

    @Option(help: "Seconds between AT+CIPSTATUS polls.")
    var interval: Double = 1

    func validate() throws {
        if interval < 0.05 { throw ValidationError("--interval must be at least 0.05 seconds.") }
    }

    func run() async throws {
        let client = try await transport.openClient()
        for await change in client.watch(every: .milliseconds(Int(interval * 1000))) {
            // Unbuffered, so that a pipe (`modem watch | tee`) sees each change as it happens.
            FileHandle.standardOutput.write(Data("\(Self.timestamp()) \(StatusTable.describe(change))\n".utf8))
        }
        throw CommandFailure(.ioError, "\(transport.endpoint): the connection to the modem closed.")
    }

    static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss.SSS"
        return formatter.string(from: Date())
    }
}
