import ArgumentParser
import Foundation
import ModemClient
import ModemEmulator
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How every `modem` subcommand exits (sysexits.h; README.md, "Exit codes").
enum ExitStatus: Int32 {
    /// The module, or the emulator over `ctl`, answered with an error.
    case moduleError = 1
    /// The command line is wrong (EX_USAGE).
    case usage = 64
    /// An input file or a reply is malformed (EX_DATAERR).
    case dataError = 65
    /// Something the command needs is not there or not free: no emulator or modem answers, a port
    /// or path is taken, no file descriptors are left (EX_UNAVAILABLE).
    case unavailable = 69
    /// Reading or writing a file, device or connection failed (EX_IOERR).
    case ioError = 74
}

/// An error the CLI reports as one line on stderr, without usage text, and exits with its status.
struct CommandFailure: Error, CustomStringConvertible {
    var status: ExitStatus
    var message: String

    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    var description: String { message }

    /// The same failure, its message prefixed with what it concerns (`tcp://127.0.0.1:7000: …`).
    func about(_ subject: String) -> CommandFailure {
        CommandFailure(status, "\(subject): \(message)")
    }

    /// Classifies an error from the libraries or the system (anything else is unexpected: 74).
    init(_ error: any Error) {
        self = Self.classify(error) ?? CommandFailure(.ioError, "\(error)")
    }

    /// The failure for an error of ModemKit or the system; `nil` for others (ArgumentParser's own,
    /// such as a request for help, which it reports itself).
    static func classify(_ error: any Error) -> CommandFailure? {
        switch error {
        case let failure as CommandFailure: failure
        case let error as EmulatorError: CommandFailure(status(of: error), error.description)
        case let error as ControlClientError: CommandFailure(status(of: error), error.description)
        case let error as ModemClientError: CommandFailure(status(of: error), error.description)
        case let error as ScenarioError: CommandFailure(.dataError, "\(error)")
        case let error as IOError: CommandFailure(.ioError, "\(error)")
        default: nil
        }
    }

    private static func status(of error: EmulatorError) -> ExitStatus {
        switch error {
        case .invalidOption, .noSuchLink, .noSuchModem: .usage
        case .pathInUse, .socketInUse, .cannotListen, .unknownHost, .pseudoTerminal: .unavailable
        case .cannotOpen, .cannotLink, .cannotBind, .stdio: .ioError
        }
    }

    private static func status(of error: ControlClientError) -> ExitStatus {
        switch error {
        case .notRunning, .permissionDenied, .noReply: .unavailable
        case .connectionLost: .ioError
        case .badReply: .dataError
        }
    }

    private static func status(of error: ModemClientError) -> ExitStatus {
        switch error {
        case .commandFailed, .connectFailed, .notConnected, .pdpDeactivated: .moduleError
        case .timeout, .noAnswer, .deviceNotFound, .deviceBusy, .permissionDenied, .connectionFailed: .unavailable
        case .unexpectedReply, .notAModem: .dataError
        case .notATerminal, .unsupportedBaudRate: .usage
        case .transportClosed, .deviceError: .ioError
        }
    }
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
