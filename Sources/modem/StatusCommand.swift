import ArgumentParser

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Print a modem's TCP/IP status.")
    func run() async throws { throw CleanExit.message("not yet implemented") }
}

struct ATCommandLine: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "at", abstract: "Send one AT command.")
    func run() async throws { throw CleanExit.message("not yet implemented") }
}

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "watch", abstract: "Print status changes.")
    func run() async throws { throw CleanExit.message("not yet implemented") }
}
