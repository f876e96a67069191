import ArgumentParser
import Foundation
import Logging
import ModemClient
import ModemProtocol

/// How to reach the module: `--device PATH [--baud N] [--rtscts]` or `--tcp HOST:PORT`.
struct TransportOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Serial device of the module.", valueName: "path"))
    var device: String?

    @Option(help: "Baud rate of the serial device.")
    var baud: Int = 115_200

    @Flag(help: "Use RTS/CTS hardware flow control on the serial device.")
    var rtscts = false

    @Option(help: ArgumentHelp("Raw TCP endpoint (ser2net, modem emulate --listen); IPv6 in brackets.", valueName: "host:port"))
    var tcp: HostPort?

    func validate() throws {
        switch (device, tcp) {
        case (nil, nil): throw ValidationError("Give --device PATH or --tcp HOST:PORT.")
        case (.some, .some): throw ValidationError("Give either --device or --tcp, not both.")
        default: break
        }
        if let tcp, tcp.port == 0 { throw ValidationError("--tcp: port 0 is not a port to connect to.") }
        if device != nil, !SerialPort.standardBaudRates.contains(baud) {
            let rates = SerialPort.standardBaudRates.map(String.init).joined(separator: ", ")
            throw ValidationError("--baud \(baud) is not a standard rate (\(rates)).")
        }
    }

    var endpoint: ModemEndpoint {
        if let tcp { return .tcp(host: tcp.host, port: tcp.port) }
        return .serial(SerialPortConfiguration(path: device ?? "", baudRate: baud, hardwareFlowControl: rtscts))
    }

    /// Opens the transport and checks that a modem answers; a failure is a ``CommandFailure``.
    func openClient() async throws -> ModemClient {
        do {
            let client = try await ModemClient.open(endpoint)
            do {
                try await client.probe()
            } catch {
                await client.disconnect()
                throw error
            }
            return client
        } catch ModemClientError.connectionFailed(let host, let port, let reason) {
            throw CommandFailure(ModemClientError.connectionFailed(host: host, port: port, reason: reason))
        } catch {
            throw CommandFailure(error).about("\(endpoint)")
        }
    }
}

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

/// Text renderings of statuses and changes for the terminal.
enum StatusTable {
    static func render(_ status: ConnectionStatus) -> String {
        switch status {
        case .single(let state):
            return "mode: single\nstate: \(state.rawValue)"
        case .multi(let state, let server, let links):
            var lines = ["mode: multi", "state: \(state.rawValue)"]
            if let server {
                lines.append("server: port \(server.port), bearer \(server.bearer), \(server.state)")
            }
            let header = ["n", "bearer", "proto", "address", "port", "state"]
            let rows = links.map { row($0) }
            let widths = header.indices.map { column in
                ([header[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0
            }
            for cells in [header] + rows {
                lines.append(
                    zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                        .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            }
            return lines.joined(separator: "\n")
        }
    }

    static func row(_ link: LinkStatus) -> [String] {
        [
            String(link.number), link.bearer.map(String.init) ?? "-", link.transport?.rawValue ?? "-",
            link.address.isEmpty ? "-" : link.address, link.port.map(String.init) ?? "-", link.state.rawValue,
        ]
    }

    static func describe(_ change: StatusChange) -> String {
        switch change {
        case .initial(let status), .modeChanged(let status):
            return render(status).replacingOccurrences(of: "\n", with: "\n    ")
        case .stateChanged(let from, let to):
            return "state \(from) -> \(to)"
        case .serverChanged(_, let to):
            return to.map { "server port \($0.port) \($0.state)" } ?? "server stopped"
        case .linkChanged(let from, let to):
            return "link \(to.number) \(from?.state.rawValue ?? "-") -> \(to.state.rawValue)"
                + (to.address.isEmpty ? "" : " (\(to.transport?.rawValue ?? "") \(to.address):\(to.port ?? 0))")
        case .unsolicited(let result):
            return "urc \(result)"
        case .pollFailed(let error):
            return "poll failed: \(error)"
        }
    }
}
