import ArgumentParser
import Foundation
import ModemClient

/// `modem watch`: status changes and unsolicited results as they happen, one line each.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print status changes and unsolicited results until interrupted.",
        discussion: """
            One line per event, starting with the local time of day in milliseconds (HH:mm:ss.SSS): \
            'status multi IP STATUS, 0 link(s)' (the first reading), 'state IP STATUS -> IP PROCESSING', \
            'link 1 CONNECTING -> CONNECTED TCP 1.2.3.4:80', 'server none -> LISTENING on port 4010', \
            'urc 1, CLOSED' and 'urc +PDP: DEACT' (the module's line as it wrote it; received data as its \
            header and a size, 'urc +RECEIVE,1,5: [5 bytes]'), 'poll failed: <reason>'. \
            With --json, one JSON object per line whose time_ms is the same instant in milliseconds since \
            the Unix epoch (schema: docs/status-json.md).
            """
    )

    @OptionGroup var transport: TransportOptions

    @Option(help: "Seconds between AT+CIPSTATUS polls.")
    var interval: Double = 1

    @Flag(help: "Print one JSON object per line (schema: docs/status-json.md).")
    var json = false

    func validate() throws {
        if interval < 0.05 { throw ValidationError("--interval must be at least 0.05 seconds.") }
    }

    func run() async throws {
        let client = try await transport.openClient()
        let clock = DateFormatter()
        clock.locale = Locale(identifier: "en_US_POSIX")
        clock.dateFormat = "HH:mm:ss.SSS"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for await change in client.watch(every: .milliseconds(Int(interval * 1000))) {
            let now = Date()
            let line: String
            if json {
                let document = StatusChangeDocument(change, timeMilliseconds: Int64(now.timeIntervalSince1970 * 1000))
                line = String(decoding: try encoder.encode(document), as: UTF8.self)
            } else {
                line = "\(clock.string(from: now)) \(change)"
            }
            // Unbuffered, so that a pipe (`modem watch | tee`) sees each change as it happens.
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        throw CommandFailure(.ioError, "\(transport.endpoint): the connection to the modem closed.")
    }
}
