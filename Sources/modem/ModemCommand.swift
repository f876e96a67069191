import ArgumentParser

/// `modem`: a virtual SIM800-class modem and a host-side tool for real ones.
@main
struct ModemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modem",
        abstract: "A virtual SIM800-class GPRS modem, and a driver for real ones.",
        subcommands: [
            EmulateCommand.self, ControlCommand.self, StatusCommand.self, ATCommandLine.self, WatchCommand.self,
        ]
    )
}
