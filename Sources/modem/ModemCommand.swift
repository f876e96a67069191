import ArgumentParser
import Foundation

/// `modem`: a virtual SIM800-class modem and a host-side tool for real ones.
@main
struct ModemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modem",
        abstract: "A virtual SIM800-class GPRS modem, and a driver for real ones.",
        version: BuildInfo.description,
        subcommands: [
            EmulateCommand.self, ControlCommand.self, StatusCommand.self, ATCommandLine.self, WatchCommand.self,
            TraceCommand.self, TapCommand.self, ReplayCommand.self,
        ]
    )
}

extension ModemCommand {
    /// Parses the command line and runs the subcommand; a failure is one line on stderr
    /// (`modem <subcommand>: <what was wrong and what to do>`) and an ``ExitStatus``.
    static func main() async {
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                var command = command
                try command.run()
            }
        } catch {
            guard let failure = CommandFailure.classify(error) else { exit(withError: error) }
            let name = type(of: command).configuration.commandName.map { "modem \($0)" } ?? "modem"
            FileHandle.standardError.write(Data("\(name): \(failure.message)\n".utf8))
            Foundation.exit(failure.status.rawValue)
        }
    }
}
