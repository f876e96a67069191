import ArgumentParser
import ModemClient

/// How to reach the module: `--device PATH [--baud N] [--rtscts]` or `--tcp HOST:PORT`.
struct TransportOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Serial device of the module.", valueName: "path"))
    var device: String?

    @Option(help: "Baud rate of the serial device.")
    var baud: BaudRate = 115_200

    @Flag(help: "Use RTS/CTS hardware flow control on the serial device.")
    var rtscts = false

    @Option(help: ArgumentHelp("Raw TCP endpoint (ser2net, modem emulate --listen); IPv6 in brackets.", valueName: "host:port"))
    var tcp: HostPort?

    @Option(
        help: ArgumentHelp(
            "Record this session: what was written and read, decoded, every byte kept (docs/trace.md).",
            valueName: "file"))
    var trace: String?

    func validate() throws {
        switch (device, tcp) {
        case (nil, nil): throw ValidationError("Give --device PATH or --tcp HOST:PORT.")
        case (.some, .some): throw ValidationError("Give either --device or --tcp, not both.")
        default: break
        }
        if let tcp, tcp.port == 0 { throw ValidationError("--tcp: port 0 is not a port to connect to.") }
        if device != nil, !baud.isStandard {
            let rates = SerialPort.standardBaudRates.map(String.init).joined(separator: ", ")
            throw ValidationError("--baud \(baud) is not a standard rate (\(rates)).")
        }
    }

    var endpoint: ModemEndpoint {
        if let tcp { return .tcp(host: tcp.host, port: tcp.port) }
        return .serial(SerialPortConfiguration(path: device ?? "", baudRate: baud.bitsPerSecond, hardwareFlowControl: rtscts))
    }

    /// Opens the transport and checks that a modem answers; a failure is a ``CommandFailure``.
    func openClient() async throws -> ModemClient {
        do {
            let client = try await ModemClient.open(endpoint, trace: trace)
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
