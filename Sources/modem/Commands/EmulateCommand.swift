import ArgumentParser
import Foundation
import Logging
import ModemCore
import ModemEmulator
import ModemHTTP
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `modem emulate`: a virtual SIM800-family module on a pseudo-terminal, a TCP port or stdio.
struct EmulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulate",
        abstract: "Run a virtual SIM800-class modem whose links are real sockets.",
        discussion: """
            Exactly one of --pty, --listen or --stdio. With --pty the device path is the first line on \
            stdout. Durations take ms, s or m (250ms, 1.5s); a bare number is milliseconds. \
            --trace writes one JSON object per step of the conversation, with its exact bytes (docs/trace.md); \
            `modem trace show FILE` prints it as a conversation. At --log-level debug the log shows the same steps.
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

    @Option(
        help: """
            The module emulated: sim800 (SIM800L R14.18), sim800c, sim808, sim868 or sim900 (eight links in \
            multi-connection mode). Sets the identity texts, the link count and the model's replies.
            """)
    var model: Model = "sim800"

    @Option(
        help: ArgumentHelp(
            """
            How long a power-up (start, AT+CFUN=1,1, reset) takes until RDY ... SMS Ready and the registration: \
            instant, realistic (the model's real times), or a duration by which the same sequence has registered. \
            Default: realistic with --timing realistic, else instant (the module starts already on).
            """, valueName: "instant|realistic|duration"))
    var powerUp: PowerUp?

    @Flag(help: "The module is at AT+IPR=0 (auto-bauding, its factory setting): after a power-up it prints no boot messages and waits for AT.")
    var autobaud = false

    @Option(help: "How AT+CIPSTATUS is rendered: sim800 or spec.")
    var dialect: Dialect = "sim800"

    @Option(help: "Pace output to the host at this UART rate (10 bits a byte); default unpaced.")
    var baud: BaudRate?

    @Option(help: "Echo after power-on: on or off.")
    var echo: Echo = .on

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: LogLevel = "info"

    @Option(help: "How the log is written to stderr: text, or json (one object a line).")
    var logFormat: LogFormat = .text

    @Option(help: ArgumentHelp("Record the serial conversation, decoded, every byte kept (docs/trace.md).", valueName: "file"))
    var trace: String?

    @Option(help: "The APN AT+CSTT without arguments uses.")
    var apn: String?

    @Option(help: "The local address the network assigns (AT+CIFSR).")
    var localIP: String = "10.64.0.2"

    @Option(help: "How long PDP context activation (AT+CIICR) takes.")
    var activationDelay: Delay = "300ms"

    @Option(help: "Extra time before each link's socket is opened.")
    var connectDelay: Delay = "0ms"

    @Option(help: "How long deregistering a UDP port takes after AT+CIPCLOSE.")
    var udpCloseDelay: Delay = "0ms"

    @Option(help: ArgumentHelp("Allow links only to this host, address or CIDR (repeatable).", valueName: "host|cidr"))
    var allow: [AllowEntry] = []

    @Option(help: "The address AT+CIPSERVER listens on.")
    var serverHost: String = "127.0.0.1"

    @Option(
        help: ArgumentHelp(
            "The unix socket for `modem ctl` (mode 0600). Default: $MODEM_CONTROL, else $XDG_RUNTIME_DIR/modem.ctl, else /tmp/modem-UID.ctl (skipped when another emulator has it).",
            valueName: "path"))
    var control: String?

    @Flag(help: "Open no control socket.")
    var noControl = false

    @Option(
        help: ArgumentHelp(
            "Serve the live view, the HTTP API and /metrics (docs/http-api.md); PORT or :PORT is loopback. Its URL is printed on stdout.",
            valueName: "[host]:port"))
    var http: LiveAddress?

    @Option(
        help: ArgumentHelp(
            "The token HTTP requests must carry; one is generated when --http binds beyond loopback.", valueName: "token"))
    var httpToken: String?

    @Option(help: "Network every link's data crosses: ideal (unshaped), gprs, edge, umts, hspa or lte (docs/network.md).")
    var network: NetworkPreset = "ideal"

    @Option(help: ArgumentHelp("Uplink (modem to network) bandwidth in kbit/s; 0 is unlimited.", valueName: "kbit"))
    var netUp: Bandwidth?

    @Option(help: ArgumentHelp("Downlink (network to modem) bandwidth in kbit/s; 0 is unlimited.", valueName: "kbit"))
    var netDown: Bandwidth?

    @Option(help: ArgumentHelp("One-way latency added in each direction, fixed or a min:max range.", valueName: "ms[:ms]"))
    var netDelay: Latency?

    @Option(help: ArgumentHelp("Fraction (0-1) of UDP datagrams lost in each direction.", valueName: "p"))
    var udpLoss: UDPLoss?

    @Option(help: "Command response times: instant, or realistic (a real module's; docs/network.md).")
    var timing: Timing = "instant"

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
        if let listen, listen.port != 0, listen.port + count - 1 > 65535 {
            throw ValidationError("--listen: ports \(listen.port)-\(listen.port + count - 1) run past 65535.")
        }
        if let baud, baud.bitsPerSecond < 10 { throw ValidationError("--baud must be at least 10.") }
        if noControl, control != nil { throw ValidationError("Give --control PATH or --no-control, not both.") }
        if httpToken != nil, http == nil { throw ValidationError("--http-token works with --http only.") }
        if let httpToken, httpToken.isEmpty || !httpToken.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._~".contains($0)) }) {
            throw ValidationError("--http-token: use letters, digits, '-', '.', '_' and '~' (it goes in URLs as it is).")
        }
        _ = try scenarioFile()
    }

    func run() async throws {
        logFormat.bootstrap(level: logLevel.value)
        let logger = Logger(label: "modem.emulate")
        let emulator = try Emulator(options: try options(), logger: logger)
        // With --stdio, stdout is the serial line: the URL goes only to the log there.
        let announcer = Announcer(printsPath: pty, waitsForURL: http != nil && !stdio)
        let service = EmulatorService(emulator: emulator) { addresses in
            announcer.serialReady(addresses.first.map { "\($0)" })
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            // The stdio line ending (stdin EOF) ends the run as a signal would.
            .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)
        ]
        if let http {
            let options = LiveServerOptions(host: http.options.host, port: http.options.port, token: httpToken).resolved()
            if !options.isLoopback {
                logger.warning("the HTTP API listens beyond loopback on \(options.host): every request needs the token")
            }
            let server = LiveServer(
                modems: emulator.modems, dispatcher: emulator.dispatcher, options: options, logger: logger)
            let application = try server.application { port in
                logger.info("live view on \(options.url(port: port))")
                announcer.httpReady(options.url(port: port))
            }
            services.append(.init(service: application))
        }
        // The emulator starts inside the group, once SIGTERM and SIGINT are handled.
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "modem.emulate.lifecycle") { _ in SwiftLogNoOpLogHandler() })
        // An HTTP client that keeps a connection open without finishing a request would hold a
        // graceful shutdown for ever: after this long the services are cancelled.
        configuration.maximumGracefulShutdownDuration = .seconds(2)
        try await ServiceGroup(configuration: configuration).run()
    }

    /// The emulator the command line describes; every value was checked when parsed or in ``validate()``.
    private func options() throws -> EmulatorOptions {
        var options = EmulatorOptions()
        if pty {
            options.serial = .pty(link: link)
        } else if let listen {
            options.serial = .listen(host: listen.host, port: listen.port)
        } else {
            options.serial = .stdio
        }
        options.count = count
        if !noControl {
            options.controlPath = control ?? ControlSocket.defaultPath()
            options.controlPathIsDefault = control == nil
        }
        options.liveView = http != nil
        var configuration = EmulatorConfiguration()
        configuration.modem = ModemConfiguration(model: model.value)
        let powerUp = powerUp?.value ?? (timing.value == .realistic ? .realistic : .instant)
        configuration.modem.powerUp = powerUp.timing(for: model.value)
        if autobaud { configuration.modem.savedBaudRate = 0 }
        configuration.modem.dialect = dialect.value
        configuration.modem.echo = echo == .on
        if let apn { configuration.modem.defaultAPN = apn }
        configuration.baudRate = baud?.bitsPerSecond
        configuration.tracePath = trace
        configuration.localAddress = localIP
        configuration.activationDelay = activationDelay.value
        configuration.connectDelay = connectDelay.value
        configuration.udpCloseDelay = udpCloseDelay.value
        for entry in allow { try configuration.allowList.add(entry.text) }
        configuration.serverBindHost = serverHost
        configuration.network = network.value
        if let netUp { configuration.network.uplinkKbit = netUp.kbit }
        if let netDown { configuration.network.downlinkKbit = netDown.kbit }
        if let netDelay { configuration.network.delay = netDelay.range }
        if let udpLoss { configuration.network.udpLoss = udpLoss.fraction }
        configuration.timing = timing.value
        configuration.seed = seed
        configuration.scenario = try scenarioFile()
        options.modem = configuration
        return options
    }

    /// The `--scenario` file, read and checked.
    private func scenarioFile() throws -> Scenario? {
        guard let scenario else { return nil }
        do {
            return try Scenario.load(path: scenario)
        } catch {
            throw ValidationError("--scenario \(scenario): \(error)")
        }
    }
}
