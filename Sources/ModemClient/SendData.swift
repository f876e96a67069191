import ModemProtocol

/// The data phase of an `AT+CIPSEND` line as written (SIM800 manual §8.2.3): exactly the length the
/// line gives, or the data followed by Ctrl-Z when it gives none.
enum SendData {
    /// Whether the line means one thing in single-connection mode and another in multi mode:
    /// `AT+CIPSEND=<x>` is a length in single mode and a link in multi mode.
    static func dependsOnMode(_ command: ATCommand) -> Bool {
        command.arguments.count == 1
    }

    /// The fixed length `command` gives, `nil` for the Ctrl-Z form.
    static func length(of command: ATCommand, multiConnection: Bool) -> Int? {
        let arguments = command.arguments
        switch arguments.count {
        case 2: return arguments[1].integer
        case 1 where !multiConnection: return arguments[0].integer
        default: return nil
        }
    }

    /// The bytes to write after the `> ` prompt of `command` (the line `line`): `data` itself when
    /// the line gives its length, else `data` and Ctrl-Z. Throws when `data` cannot be sent so.
    static func payload(
        _ data: [UInt8], for command: ATCommand, line: String, multiConnection: Bool
    ) throws(ModemClientError) -> [UInt8] {
        if let length = length(of: command, multiConnection: multiConnection) {
            guard data.count == length else {
                throw .sendDataLength(command: line, expected: length, given: data.count)
            }
            return data
        }
        guard !data.contains(where: { $0 == SerialLineReader.ctrlZ || $0 == SerialLineReader.escape }) else {
            throw .sendDataNotTerminable(command: line)
        }
        return data + [SerialLineReader.ctrlZ]
    }
}
