import ArgumentParser
import Foundation
import Logging
import ModemEmulator
import ModemProtocol
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `modem emulate`: a virtual SIM800 on a pseudo-terminal, a TCP port or stdio.
struct EmulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulate",
        abstract: "Run a virtual SIM800-class modem whose links are real sockets.",
        discussion: """
            Exactly one of --pty, --listen or --stdio. With --pty the device path is the first line on \
            stdout. Durations take ms, s or m (250ms, 1.5s); a bare number is milliseconds. \
            --trace writes one line per chunk: '<unix seconds>.<micros> <rx|tx> <hex>' (rx: host to modem).
            """
    )

    @Flag(help: "Serial line on a new pseudo-terminal; its path is printed first on stdout.")
    var pty = false

    @Option(help: ArgumentHelp("With --pty: also make a symlink to the device (removed on exit).", valueName: "path"))
    var link: String?

    @Option(
        help: ArgumentHelp(
            "Serial line as raw TCP, one client at a time (a second one is told it is busy); IPv6 in brackets.",
            valueName: "host:port"))
    var listen: HostPort?

    @Flag(
        help: """
            Serial line on stdin/stdout (a terminal, in raw mode until exit; a pipe; or a file: a script in, a log out); \
            logs go to stderr. The end of stdin ends the run (of a file: once the modem has answered it).
            """)
    var stdio = false

    @Option(help: "With --listen: run N independent modems, modem i on port+i.")
    var count = 1

    @Option(help: "How AT+CIPSTATUS is rendered: sim800 or spec.")
    var dialect: String = "sim800"

    @Option(help: "Pace output to the host at this UART rate (10 bits a byte); default unpaced.")
    var baud: Int?

    @Option(help: "Echo after power-on: on or off.")
    var echo: String = "on"

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(help: ArgumentHelp("Record every serial byte with a timestamp.", valueName: "file"))
    var trace: String?

    @Option(help: "The APN AT+CSTT without arguments uses.")
    var apn: String?

    @Option(help: "The local address the network assigns (AT+CIFSR).")
    var localIP: String = "10.64.0.2"

    @Option(help: "How long PDP context activation (AT+CIICR) takes.")
    var activationDelay: String = "300ms"

    @Option(help: "Extra time before each link's socket is opened.")
    var connectDelay: String = "0ms"

    @Option(help: "How long deregistering a UDP port takes after AT+CIPCLOSE.")
    var udpCloseDelay: String = "0ms"

    @Option(help: ArgumentHelp("Allow links only to this host, address or CIDR (repeatable).", valueName: "host|cidr"))
    var allow: [String] = []

    @Option(help: "The address AT+CIPSERVER listens on.")
    var serverHost: String = "127.0.0.1"

    @Option(help: ArgumentHelp("A unix socket for `modem ctl` (mode 0600).", valueName: "path"))
    var control: String?

    @Option(help: "Network every link's data crosses: ideal (unshaped), gprs, edge, umts, hspa or lte (docs/network.md).")
    var network: String = "ideal"

    @Option(help: ArgumentHelp("Uplink (modem to network) bandwidth in kbit/s; 0 is unlimited.", valueName: "kbit"))
    var netUp: String?

    @Option(help: ArgumentHelp("Downlink (network to modem) bandwidth in kbit/s; 0 is unlimited.", valueName: "kbit"))
    var netDown: String?

    @Option(help: ArgumentHelp("One-way latency added in each direction, fixed or a min:max range.", valueName: "ms[:ms]"))
    var netDelay: String?

    @Option(help: ArgumentHelp("Fraction (0-1) of UDP datagrams lost in each direction.", valueName: "p"))
    var udpLoss: String?

    @Option(help: "Command response times: instant, or realistic (a real module's; docs/network.md).")
    var timing: String = "instant"

    @Option(help: "Seed for every random choice (latency jitter, UDP loss, timing, noise): runs repeat exactly.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("A JSON timeline of network changes and faults, checked before the modem starts.", valueName: "file"))
    var scenario: String?

    func validate() throws {
        let endpoints = [pty, listen != nil, stdio].filter { $0 }.count
        guard endpoints == 1 else { throw ValidationError("Give exactly one of --pty, --listen HOST:PORT or --stdio.") }
        if link != nil, !pty { throw ValidationError("--link works with --pty only.") }
        if count != 1, listen == nil { throw ValidationError("--count needs --listen HOST:BASEPORT.") }
        guard (1...65535).contains(count) else { throw ValidationError("--count must be 1 to 65535.") }
        _ = try options()
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel.lowercased()) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "modem.emulate")
        let emulator = try Emulator(options: try options(), logger: logger)
        let printPath = pty
        let service = EmulatorService(emulator: emulator) { addresses in
            if printPath, let first = addresses.first {
                print(first)
                fflush(nil)  // all streams: the path line must reach a pipe before anything else happens
            }
        }
        // The emulator starts inside the group, once SIGTERM and SIGINT are handled.
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    // The stdio line ending (stdin EOF) ends the run as a signal would.
                    .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "modem.emulate.lifecycle") { _ in SwiftLogNoOpLogHandler() }))
        try await group.run()
    }

    private func options() throws -> EmulatorOptions {
        var options = EmulatorOptions()
        if pty {
            options.serial = .pty(link: link)
        } else if let listen {
            guard listen.port == 0 || listen.port + count - 1 <= 65535 else {
                throw ValidationError("--listen: ports \(listen.port)-\(listen.port + count - 1) run past 65535.")
            }
            options.serial = .listen(host: listen.host, port: listen.port)
        } else {
            options.serial = .stdio
        }
        options.count = count
        options.controlPath = control
        var configuration = EmulatorConfiguration()
        guard let dialect = StatusDialect(rawValue: dialect) else {
            throw ValidationError("--dialect must be one of: \(StatusDialect.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        configuration.modem.dialect = dialect
        switch echo.lowercased() {
        case "on": configuration.modem.echo = true
        case "off": configuration.modem.echo = false
        default: throw ValidationError("--echo must be on or off.")
        }
        if let baud {
            guard baud >= 10 else { throw ValidationError("--baud must be at least 10.") }
            configuration.baudRate = baud
        }
        guard Logger.Level(rawValue: logLevel.lowercased()) != nil else {
            throw ValidationError("--log-level must be trace, debug, info, notice, warning, error or critical.")
        }
        configuration.tracePath = trace
        if let apn { configuration.modem.defaultAPN = apn }
        configuration.localAddress = localIP
        configuration.activationDelay = try duration(activationDelay, "--activation-delay")
        configuration.connectDelay = try duration(connectDelay, "--connect-delay")
        configuration.udpCloseDelay = try duration(udpCloseDelay, "--udp-close-delay")
        for entry in allow {
            do {
                try configuration.allowList.add(entry)
            } catch {
                throw ValidationError("--allow: \(error)")
            }
        }
        configuration.serverBindHost = serverHost
        guard var profile = NetworkProfile.preset(named: network) else {
            throw ValidationError(
                "--network must be one of: \(NetworkProfile.presets.map(\.name).joined(separator: ", ")).")
        }
        for (key, value) in [("up", netUp), ("down", netDown), ("delay", netDelay), ("loss", udpLoss)] {
            guard let value else { continue }
            do {
                try profile.apply(key: key, value: value)
            } catch {
                throw ValidationError("--\(["up": "net-up", "down": "net-down", "delay": "net-delay", "loss": "udp-loss"][key]!): \(error)")
            }
        }
        configuration.network = profile
        guard let timing = CommandTiming.named(timing) else { throw ValidationError("--timing must be instant or realistic.") }
        configuration.timing = timing
        configuration.seed = seed
        if let scenario {
            do {
                configuration.scenario = try Scenario.load(path: scenario)
            } catch {
                throw ValidationError("--scenario \(scenario): \(error)")
            }
        }
        options.modem = configuration
        return options
    }

    private func duration(_ text: String, _ option: String) throws -> Duration {
        guard let value = DurationParser.parse(text) else {
            throw ValidationError("\(option): '\(text)' is not a duration (250ms, 1.5s, 2m or milliseconds).")
        }
        return value
    }
}
