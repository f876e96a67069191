import ArgumentParser
import Foundation
import ModemClient
import ModemProtocol

/// `modem status`: a modem's `AT+CIPSTATUS` as a table or as JSON.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print a modem's TCP/IP status (AT+CIPSTATUS): its state and a table of links.",
        discussion: """
            The --json schema is documented in docs/status-json.md. Status lines garbled by line noise \
            are left out of the table with a warning on stderr, and listed under "unreadable" in JSON.
            """
    )

    @OptionGroup var transport: TransportOptions

    @Option(help: "Ask for one link only (AT+CIPSTATUS=<n>; multi-connection mode, links 0-7).")
    var link: Int?

    @Flag(help: "Print JSON (schema: docs/status-json.md).")
    var json = false

    func validate() throws {
        if let link, !(0..<ModuleFamily.maximumLinkCount).contains(link) {
            throw ValidationError("--link must be a link number, 0-\(ModuleFamily.maximumLinkCount - 1).")
        }
    }

    func run() async throws {
        let client = try await transport.openClient()
        let output: String
        do {
            if let link {
                output = try await linkOutput(link, client: client)
            } else {
                output = try await statusOutput(client: client)
            }
        } catch {
            await client.disconnect()
            throw CommandFailure(error).about("\(transport.endpoint)")
        }
        await client.disconnect()
        print(output)
    }

    private func statusOutput(client: ModemClient) async throws -> String {
        let reading = try await client.statusReading()
        if json { return try Self.json(StatusDocument(reading)) }
        for line in reading.unreadable {
            FileHandle.standardError.write(Data("warning: a status line could not be read and is left out: \(line)\n".utf8))
        }
        return StatusTable.render(reading)
    }

    private func linkOutput(_ number: Int, client: ModemClient) async throws -> String {
        guard try await client.multiConnection() != false else {
            throw CommandFailure(
                .moduleError,
                "--link asks AT+CIPSTATUS=\(number), which only multi-connection mode answers; the module is in single mode (AT+CIPMUX=0)")
        }
        let link = try await client.linkStatus(number)
        if json { return try Self.json(LinkDocument(link)) }
        return StatusTable.table([link])
    }

    private static func json(_ document: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
