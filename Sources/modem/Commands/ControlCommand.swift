import ArgumentParser
import Foundation
import ModemEmulator

/// `modem ctl`: one request to a running emulator's control socket; prints the JSON reply.
struct ControlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctl",
        abstract: "Control a running virtual modem.",
        discussion: """
            Commands: status, pdp-deact, fail-activation on|off, refuse-connects on|off, \
            remote-close <n>, reset, noise <bytes>, network <preset|key=value...> (keys: preset, up, down, \
            delay, loss), registration on|off, signal <rssi>, scenario <file>. Prints the reply (one JSON object) on stdout; \
            every error is one line on stderr, with the exit codes of README.md (1: the emulator refused the request, \
            69: it cannot be reached). --http sends the same request to the emulator's HTTP API instead \
            (modem emulate --http; docs/http-api.md), e.g. on another machine.
            """
    )

    @Option(
        help: ArgumentHelp(
            "The emulator's control socket. Default: the one modem emulate opens by default ($MODEM_CONTROL, else $XDG_RUNTIME_DIR/modem.ctl, else /tmp/modem-UID.ctl).",
            valueName: "path"))
    var control: String?

    @Option(
        help: ArgumentHelp(
            "The emulator's HTTP API instead of its socket: the URL modem emulate --http printed.", valueName: "url"))
    var http: String?

    @Option(help: ArgumentHelp("The HTTP API's token, when the URL does not carry it.", valueName: "token"))
    var httpToken: String?

    @Option(help: "Which modem of a --count run (default 0).")
    var modem: Int?

    @Argument(help: "The command.")
    var command: String

    @Argument(help: "Its arguments.")
    var arguments: [String] = []

    func validate() throws {
        if command == "scenario", arguments.count != 1 { throw ValidationError("usage: scenario <file>") }
        if control != nil, http != nil { throw ValidationError("Give --control PATH or --http URL, not both.") }
        if let http, HTTPControlClient.Endpoint(http) == nil {
            throw ValidationError("--http: not an http://HOST:PORT URL: \(http)")
        }
    }

    func run() async throws {
        var arguments = arguments
        if command == "scenario" {
            // The file is read and checked here; the emulator gets its text.
            let path = arguments[0]
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw CommandFailure(.ioError, "scenario \(path): cannot read the file")
            }
            do {
                _ = try Scenario.parse(text)
            } catch {
                throw CommandFailure(.dataError, "scenario \(path): \(error)")
            }
            arguments = [text]
        }
        let request = ControlRequest(command: command, arguments: arguments, modem: modem)
        let line: String
        let source: String
        if let http, let endpoint = HTTPControlClient.Endpoint(http) {
            do {
                line = try await HTTPControlClient.send(request, to: endpoint, token: httpToken).body
            } catch {
                throw CommandFailure(.unavailable, error.description)
            }
            source = http
        } else {
            let control = control ?? ControlSocket.defaultPath()
            line = try await ControlClient.send(request, to: control)
            source = control
        }
        // The emulator's answer is the output, whatever it says; a refusal is also an error.
        print(line)
        guard let reply = try? JSONDecoder().decode(ControlReply.self, from: Data(line.utf8)) else {
            throw ControlClientError.badReply(path: source, reply: line)
        }
        if !reply.ok { throw CommandFailure(.moduleError, reply.error ?? "the emulator refused \(command)") }
    }
}
