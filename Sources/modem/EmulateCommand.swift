import ArgumentParser

struct EmulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "emulate", abstract: "Run a virtual modem.")
    func run() async throws { throw CleanExit.message("not yet implemented") }
}

struct ControlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ctl", abstract: "Control a running virtual modem.")
    func run() async throws { throw CleanExit.message("not yet implemented") }
}
