import ModemClient
import ModemEmulator
import NIOCore

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
        case .notATerminal, .unsupportedBaudRate, .sendDataLength, .sendDataNotTerminable: .usage
        case .transportClosed, .deviceError, .traceFile: .ioError
        }
    }
}
