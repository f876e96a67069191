import ArgumentParser
import Foundation
import Logging
import ModemEmulator
import ModemProtocol
import ServiceLifecycle

/// `modem replay FILE`: acts as the module of a recorded session.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Act as the module of a recorded session (a trace of modem tap, emulate --trace or a client).",
        discussion: """
            Offers the host a line (a new pseudo-terminal, or one TCP client at a time; its address is the first \
            line on stdout). When the host sends what the recording's host sent next (command lines compared by \
            their text, data by its bytes), the module's recorded answer follows, with the recorded delays divided \
            by --speed (max: none); module output that no host step preceded (URCs) comes at its recorded time. \
            When the host sends something else, a divergence report (the record's index and line, the expected \
            and the received text) goes to stderr, and --on-divergence says what then: error answers ERROR and \
            stays at the same place in the recording, ignore skips what the host sent, stop exits with status 65. \
            At the end of the recording the line stays open and nothing more is answered, until SIGINT or SIGTERM.
            """
    )

    @Argument(help: "The trace file (docs/trace.md).")
    var file: String

    @OptionGroup var line: HostLineOptions

    @Option(
        help: ArgumentHelp("Play the recorded delays this many times faster; max plays them at once.", valueName: "x|max"))
    var speed: ReplaySpeed = ReplaySpeed(factor: 1)

    @Option(help: "When the host sends something else: error (answer ERROR), ignore, or stop (exit 65).")
    var onDivergence: ReplayOptions.OnDivergence = .error

    func run() async throws {
        let records = try TraceFile.records(file)
        let logger = line.logger(label: "modem.replay")
        var options = ReplayOptions()
        options.host = line.kind
        options.speed = speed.factor
        options.onDivergence = onDivergence
        options.report = { divergence in
            FileHandle.standardError.write(Data("modem replay: \(divergence)\n".utf8))
        }
        let replayOptions = options
        let service = ReplayService {
            try await Replay.start(records: records, options: replayOptions, logger: logger)
        } started: { address in
            HostLineOptions.announce(address)
        }
        do {
            try await HostLineOptions.runUntilSignal(service)
        } catch is ReplayError {
            // The divergence was reported as it happened.
            throw CommandFailure(.dataError, "stopped at the first divergence (--on-divergence stop).")
        }
    }
}

/// `--speed X|max`.
struct ReplaySpeed: ExpressibleByArgument {
    /// `nil`: no delays.
    let factor: Double?

    init(factor: Double?) {
        self.factor = factor
    }

    init?(argument: String) {
        if argument == "max" {
            factor = nil
        } else if let value = Double(argument), value > 0, value.isFinite {
            factor = value
        } else {
            return nil
        }
    }

    var defaultValueDescription: String { factor.map { "\($0)" } ?? "max" }
}

extension ReplayOptions.OnDivergence: ExpressibleByArgument {}
