import ArgumentParser
import Foundation
import Logging
import ModemClient
import ModemEmulator
import ModemProtocol
import ServiceLifecycle

/// `modem tap`: sits between a host and a real module, forwards every byte and records the conversation.
struct TapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tap",
        abstract: "Sit between a host and a real module: forward every byte both ways and record the conversation.",
        discussion: """
            Opens the module's serial device and offers the host a line of its own (a new pseudo-terminal, or \
            one TCP client at a time); its address is the first line on stdout. Every byte is forwarded \
            unchanged, both ways, as it comes. --trace writes the conversation, decoded, every byte kept \
            (docs/trace.md): what the host wrote as `host`, what the module wrote as `module`. --show prints \
            each step on stderr as it happens, as `modem trace show` would. SIGINT or SIGTERM ends the tap \
            (and removes --link); so does the module's device going away.
            """
    )

    @Option(help: ArgumentHelp("Serial device of the module (a pseudo-terminal works too).", valueName: "path"))
    var device: String

    @Option(help: "Baud rate of the serial device.")
    var baud: BaudRate = 115_200

    @Flag(help: "Use RTS/CTS hardware flow control on the serial device.")
    var rtscts = false

    @OptionGroup var line: HostLineOptions

    @Option(help: ArgumentHelp("Record the conversation (docs/trace.md).", valueName: "file"))
    var trace: String?

    @Flag(help: "Print each step of the conversation on stderr as it happens.")
    var show = false

    func validate() throws {
        if !baud.isStandard {
            let rates = SerialPort.standardBaudRates.map(String.init).joined(separator: ", ")
            throw ValidationError("--baud \(baud) is not a standard rate (\(rates)).")
        }
    }

    func run() async throws {
        let logger = line.logger(label: "modem.tap")
        let descriptor = try SerialPort.open(
            SerialPortConfiguration(path: device, baudRate: baud.bitsPerSecond, hardwareFlowControl: rtscts))
        var options = TapOptions()
        options.host = line.kind
        options.tracePath = trace
        if show {
            options.observer = { record in
                FileHandle.standardError.write(Data((TraceText(record).description + "\n").utf8))
            }
        }
        let tapOptions = options
        let service = TapService {
            try await Tap.start(module: descriptor, options: tapOptions, logger: logger)
        } started: { address in
            HostLineOptions.announce(address)
        }
        try await HostLineOptions.runUntilSignal(service)
    }
}
