import ArgumentParser
import ModemClient

/// `modem at`: one AT command and its reply.
struct ATCommandLine: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "at",
        abstract: "Send one AT command and print the reply.",
        discussion: """
            Example: modem at --device /dev/ttyUSB0 'AT+CSQ'. Prints the reply; when it is an error (ERROR, +CME ERROR), \
            also says so on stderr and exits with 1.
            """
    )

    @OptionGroup var transport: TransportOptions

    @Option(help: "Seconds to wait for the reply (default: the manual's maximum for the command).")
    var timeout: Double?

    @Argument(help: "The command line, e.g. 'AT+CSQ'.")
    var command: String

    func validate() throws {
        guard command.uppercased().hasPrefix("AT") else { throw ValidationError("The command must start with AT.") }
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be positive.") }
    }

    func run() async throws {
        let client = try await transport.openClient()
        let reply: ATReply
        do {
            reply = try await client.send(command: command, timeout: timeout.map { .milliseconds(Int($0 * 1000)) })
        } catch {
            await client.disconnect()
            throw CommandFailure(error)
        }
        await client.disconnect()
        print(reply.transcript)
        if !reply.data.isEmpty {
            print(String(decoding: reply.data, as: UTF8.self).debugDescription)
        }
        if !reply.result.isSuccess {
            throw CommandFailure(.moduleError, ModemClientError.commandFailed(command: command, result: reply.result).description)
        }
    }
}
