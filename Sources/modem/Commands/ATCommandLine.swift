import ArgumentParser
import Foundation
import ModemClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `modem at`: one AT command and its reply, with the outcome that follows it.
struct ATCommandLine: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "at",
        abstract: "Send one AT command and print the reply.",
        discussion: """
            Example: modem at --device /dev/ttyUSB0 'AT+CSQ'. Prints the reply, and for the commands whose \
            outcome follows the final result, waits for it and prints it too: AT+CIPSTART's CONNECT OK, CONNECT \
            FAIL or ALREADY CONNECT, AT+CDNSGIP's +CDNSGIP:, AT+CIPSERVER's SERVER OK or SERVER CLOSE. \
            AT+CIPSEND sends its data after the > prompt and prints SEND OK, DATA ACCEPT or SEND FAIL: \
            modem at --tcp 127.0.0.1:7000 --data hello 'AT+CIPSEND=5' (exactly that many bytes), or \
            printf hello | modem at --tcp 127.0.0.1:7000 'AT+CIPSEND' (the data, then Ctrl-Z). \
            When the reply or outcome is an error (ERROR, +CME ERROR, CONNECT FAIL, SEND FAIL), also says so on \
            stderr and exits with 1; a timeout says what did arrive and exits with 69.
            """
    )

    @OptionGroup var transport: TransportOptions

    @Option(
        help: "Seconds to wait for the reply, and again for its outcome (default: the manual's maximum).")
    var timeout: Double?

    @Option(help: "The data for AT+CIPSEND, sent after the > prompt (default: standard input).")
    var data: String?

    @Option(help: ArgumentHelp("A file whose bytes are the data for AT+CIPSEND.", valueName: "file"))
    var dataFile: String?

    @Argument(help: "The command line, e.g. 'AT+CSQ'.")
    var command: String

    func validate() throws {
        guard command.uppercased().hasPrefix("AT") else { throw ValidationError("The command must start with AT.") }
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be positive.") }
        if data != nil, dataFile != nil { throw ValidationError("Give --data or --data-file, not both.") }
        if data != nil || dataFile != nil, !isSend {
            throw ValidationError("--data and --data-file are for AT+CIPSEND only.")
        }
    }

    /// Whether the line ends in `AT+CIPSEND`, whose data follows its `> ` prompt.
    private var isSend: Bool { ATRequest(command).completion == .send }

    func run() async throws {
        let payload = isSend ? try sendData() : nil
        let client = try await transport.openClient()
        let wait = timeout.map { Duration.milliseconds(Int($0 * 1000)) }
        let reply: ATReply
        do {
            if let payload {
                reply = try await client.send(command: command, data: payload, timeout: wait)
            } else {
                reply = try await client.send(command: command, timeout: wait)
            }
        } catch {
            await client.disconnect()
            throw CommandFailure(error)
        }
        await client.disconnect()
        print(reply.transcript)
        if !reply.data.isEmpty {
            print(String(decoding: reply.data, as: UTF8.self).debugDescription)
        }
        if !reply.isSuccess {
            throw CommandFailure(.moduleError, "\(command) failed: \(reply.verdict)")
        }
    }

    /// The data for `AT+CIPSEND`: `--data`, `--data-file`, or standard input when it is not a
    /// terminal. None at all is a usage error, before anything is sent.
    private func sendData() throws -> [UInt8] {
        let bytes: [UInt8]
        if let data {
            bytes = Array(data.utf8)
        } else if let dataFile {
            guard let contents = FileManager.default.contents(atPath: dataFile) else {
                throw CommandFailure(.ioError, "Cannot read --data-file \(dataFile).")
            }
            bytes = Array(contents)
        } else if isatty(STDIN_FILENO) == 0 {
            bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
        } else {
            bytes = []
        }
        guard !bytes.isEmpty else {
            throw CommandFailure(
                .usage, "\(command) needs data: give --data TEXT, --data-file FILE, or pipe it on standard input.")
        }
        return bytes
    }
}
