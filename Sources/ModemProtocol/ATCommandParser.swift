/// Why a command line was rejected. The modem answers all of them with `ERROR`.
public enum ATSyntaxError: Error, Equatable, Sendable {
    /// The line does not start with `AT` (or `at`).
    case missingPrefix
    /// A character that cannot start or continue a command, at this byte offset of the line.
    case unexpectedCharacter(offset: Int)
    /// A quoted string without its closing quote.
    case unterminatedString
    /// A byte outside printable ASCII outside a quoted string.
    case invalidByte(offset: Int)
}

/// Parses one AT command line into its commands (ITU-T V.250 §5.3–5.4).
///
/// Accepted: the `AT`/`at` prefix; basic commands (`E0`, `V1`, `&W`, `I`, `Z`, `S0=1`), several
/// of which may follow each other without a separator; extended commands (`+NAME`) in the four
/// forms `+X`, `+X?`, `+X=?`, `+X=<args>`; `;` between commands; quoted strings (commas and `;`
/// inside quotes are text); empty arguments; spaces outside quotes are ignored. `AT` alone is an
/// empty command list.
public enum ATCommandParser {
    /// Parses `line` (without its CR).
    public static func parse(_ line: some Collection<UInt8>) throws(ATSyntaxError) -> [ATCommand] {
        var commands: [ATCommand] = []
        try Array(line).withUnsafeBufferPointer { bytes in
            Result { () throws(ATSyntaxError) in try parse(bytes, into: &commands) }
        }.get()
        return commands
    }

    /// Parses `line` (without its CR), appending its commands to `commands`. Reusing one array
    /// across lines keeps the modem's steady state free of allocations.
    public static func parse(
        _ line: UnsafeBufferPointer<UInt8>, into commands: inout [ATCommand]
    ) throws(ATSyntaxError) {
        var scanner = Scanner(bytes: line)
        try scanner.parseLine(into: &commands)
    }

    /// Parses `line` (without its CR).
    public static func parse(_ line: String) throws(ATSyntaxError) -> [ATCommand] {
        try parse(Array(line.utf8))
    }
}

private struct Scanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipSpaces() {
        while let byte = current, byte == Self.space { index += 1 }
    }

    mutating func parseLine(into commands: inout [ATCommand]) throws(ATSyntaxError) {
        skipSpaces()
        guard index + 2 <= bytes.count,
            upper(bytes[index]) == UInt8(ascii: "A"), upper(bytes[index + 1]) == UInt8(ascii: "T")
        else { throw .missingPrefix }
        index += 2
        while true {
            skipSpaces()
            guard let byte = current else { return }
            if byte == UInt8(ascii: ";") {
                index += 1
                continue
            }
            if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "*") || byte == UInt8(ascii: "^") {
                commands.append(try parseExtended())
            } else {
                commands.append(try parseBasic())
            }
        }
    }

    func upper(_ byte: UInt8) -> UInt8 {
        (byte >= 0x61 && byte <= 0x7A) ? byte - 0x20 : byte
    }

    func isLetter(_ byte: UInt8) -> Bool {
        let u = upper(byte)
        return u >= 0x41 && u <= 0x5A
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// The bytes in `range` in upper case, as a `String` (names fit a small string: no allocation).
    func name(_ range: Range<Int>) -> String {
        String(unsafeUninitializedCapacity: range.count) { buffer in
            for (offset, byte) in bytes[range].enumerated() { buffer[offset] = upper(byte) }
            return range.count
        }
    }

    /// The error for the byte at `offset` (or the end of the line): ``ATSyntaxError/invalidByte(offset:)``
    /// for a byte outside printable ASCII, ``ATSyntaxError/unexpectedCharacter(offset:)`` otherwise.
    func unexpected(at offset: Int) -> ATSyntaxError {
        if offset < bytes.count, bytes[offset] < 0x20 || bytes[offset] >= 0x7F { return .invalidByte(offset: offset) }
        return .unexpectedCharacter(offset: offset)
    }

    mutating func parseExtended() throws(ATSyntaxError) -> ATCommand {
        let start = index
        index += 1
        while let byte = current, isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: "_") { index += 1 }
        guard index - start > 1 else { throw unexpected(at: index) }
        let commandName = name(start..<index)
        skipSpaces()
        guard let byte = current, byte != UInt8(ascii: ";") else {
            return ATCommand(name: commandName, form: .execute)
        }
        if byte == UInt8(ascii: "?") {
            index += 1
            try expectEndOfCommand()
            return ATCommand(name: commandName, form: .read)
        }
        guard byte == UInt8(ascii: "=") else { throw unexpected(at: index) }
        index += 1
        skipSpaces()
        if current == UInt8(ascii: "?") {
            index += 1
            try expectEndOfCommand()
            return ATCommand(name: commandName, form: .test)
        }
        return ATCommand(name: commandName, form: .write(try parseArguments()))
    }

    mutating func expectEndOfCommand() throws(ATSyntaxError) {
        skipSpaces()
        if let byte = current, byte != UInt8(ascii: ";") { throw unexpected(at: index) }
    }

    mutating func parseArguments() throws(ATSyntaxError) -> [ATArgument] {
        var arguments: [ATArgument] = []
        while true {
            skipSpaces()
            var argument = ATArgument.empty
            if current == Self.quote {
                index += 1
                let start = index
                while let byte = current, byte != Self.quote { index += 1 }
                guard current == Self.quote else { throw .unterminatedString }
                argument = .string(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
                index += 1
                skipSpaces()
            } else {
                var token = ""
                while let byte = current, byte != UInt8(ascii: ","), byte != UInt8(ascii: ";") {
                    guard byte > 0x20, byte < 0x7F, byte != Self.quote else {
                        if byte == Self.space {
                            index += 1
                            continue
                        }
                        throw unexpected(at: index)
                    }
                    token.unicodeScalars.append(Unicode.Scalar(byte))
                    index += 1
                }
                if !token.isEmpty { argument = .token(token) }
            }
            arguments.append(argument)
            guard let byte = current else { return arguments }
            if byte == UInt8(ascii: ";") { return arguments }
            guard byte == UInt8(ascii: ",") else { throw unexpected(at: index) }
            index += 1
        }
    }

    mutating func parseBasic() throws(ATSyntaxError) -> ATCommand {
        let start = index
        guard let first = current else { throw unexpected(at: index) }
        if first == UInt8(ascii: "&") {
            index += 1
            guard let letter = current, isLetter(letter) else { throw unexpected(at: index) }
            index += 1
        } else if isLetter(first) {
            index += 1
        } else {
            throw unexpected(at: start)
        }
        let single = index - start == 1
        let letter = upper(bytes[index - 1])
        // S-parameters: S<n>?, S<n>=<value>
        if single, letter == UInt8(ascii: "S") {
            let digitsStart = index
            while let byte = current, isDigit(byte) { index += 1 }
            guard index > digitsStart, index - digitsStart <= 3 else { throw unexpected(at: index) }
            return try basicForm(name(start..<index), takesValue: false)
        }
        // D (dial) takes the rest of the line as its dial string.
        if single, letter == UInt8(ascii: "D") {
            let dial = String(decoding: UnsafeBufferPointer(rebasing: bytes[index...]), as: UTF8.self)
            index = bytes.count
            return ATCommand(name: "D", form: .write([.token(dial)]))
        }
        return try basicForm(name(start..<index), takesValue: true)
    }

    /// What follows a basic command's name: a number (`E0`), `?`, `=?` or `=<number>`.
    mutating func basicForm(_ commandName: String, takesValue: Bool) throws(ATSyntaxError) -> ATCommand {
        skipSpaces()
        if takesValue, let byte = current, isDigit(byte) {
            return ATCommand(name: commandName, form: .execute, value: try parseNumber())
        }
        if current == UInt8(ascii: "?") {
            index += 1
            return ATCommand(name: commandName, form: .read)
        }
        if current == UInt8(ascii: "=") {
            index += 1
            skipSpaces()
            if current == UInt8(ascii: "?") {
                index += 1
                return ATCommand(name: commandName, form: .test)
            }
            let value = try parseNumber()
            return ATCommand(name: commandName, form: .write([.token(String(value))]), value: value)
        }
        return ATCommand(name: commandName, form: .execute)
    }

    mutating func parseNumber() throws(ATSyntaxError) -> Int {
        let start = index
        while let byte = current, isDigit(byte), index - start < 6 { index += 1 }
        guard index > start else { throw unexpected(at: index) }
        if let byte = current, isDigit(byte) { throw unexpected(at: index) }
        var value = 0
        for byte in bytes[start..<index] { value = value * 10 + Int(byte - 0x30) }
        return value
    }
}
