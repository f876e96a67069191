import ArgumentParser
import Foundation
import ModemProtocol

/// `modem status`: a modem's `AT+CIPSTATUS` as a table or as JSON.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print a modem's TCP/IP status (AT+CIPSTATUS): its state and a table of links.",
        discussion: "The --json schema is documented in docs/status-json.md."
    )

    @OptionGroup var transport: TransportOptions

    @Flag(help: "Print JSON (schema: docs/status-json.md).")
    var json = false

    func run() async throws {
        let client = try await transport.openClient()
        let status: ConnectionStatus
        do {
            status = try await client.connectionStatus()
        } catch {
            await client.disconnect()
            throw CommandFailure(error).about("\(transport.endpoint)")
        }
        await client.disconnect()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(StatusDocument(status)), as: UTF8.self))
        } else {
            print(StatusTable.render(status))
        }
    }
}
