import ArgumentParser
import Foundation
import Logging
import ModemEmulator
import ServiceLifecycle

/// The line `modem tap` and `modem replay` offer the host: `--pty [--link PATH]` or `--listen HOST:PORT`.
struct HostLineOptions: ParsableArguments {
    @Flag(help: "Offer the host a new pseudo-terminal; its path is printed first on stdout.")
    var pty = false

    @Option(help: ArgumentHelp("With --pty: also make a symlink to the device (removed on exit).", valueName: "path"))
    var link: String?

    @Option(
        help: ArgumentHelp(
            "Offer the host raw TCP, one client at a time; a bare port listens on 127.0.0.1. "
                + "The address is printed first on stdout (port 0 takes a free one).",
            valueName: "[host:]port"))
    var listen: ListenAddress?

    @Option(help: "trace, debug, info, notice, warning, error or critical (the log goes to stderr).")
    var logLevel: LogLevel = "warning"

    @Option(help: "How the log is written to stderr: text, or json (one object a line).")
    var logFormat: LogFormat = .text

    func validate() throws {
        guard pty != (listen != nil) else { throw ValidationError("Give exactly one of --pty or --listen HOST:PORT.") }
        if link != nil, !pty { throw ValidationError("--link works with --pty only.") }
    }

    var kind: SerialEndpointKind {
        if let listen { return .listen(host: listen.address.host, port: listen.address.port) }
        return .pty(link: link)
    }

    /// Prints where the host finds its line as the first line on stdout: the PTY's path or `tcp://HOST:PORT`.
    static func announce(_ address: SerialEndpointAddress) {
        if case .tcp = address { print("tcp://\(address)") } else { print(address) }
        fflush(nil)  // the address line must reach a pipe before anything else happens
    }

    /// Runs `service` until it ends or SIGINT/SIGTERM ends it gracefully; rethrows what it throws.
    static func runUntilSignal(_ service: some Service) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "modem.lifecycle") { _ in SwiftLogNoOpLogHandler() }))
        try await group.run()
    }

    /// Sends the log to stderr at `--log-level`; returns the command's logger.
    func logger(label: String) -> Logger {
        logFormat.bootstrap(level: logLevel.value)
        return Logger(label: label)
    }
}

/// `--listen [HOST:]PORT`: a bare port is on the loopback address.
struct ListenAddress: ExpressibleByArgument {
    let address: HostPort

    init?(argument: String) {
        if let port = Int(argument), (0...65535).contains(port) {
            address = HostPort(host: "127.0.0.1", port: port)
        } else if let address = HostPort(argument: argument) {
            self.address = address
        } else {
            return nil
        }
    }
}
