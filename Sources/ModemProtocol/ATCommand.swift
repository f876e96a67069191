/// One command of an AT command line (ITU-T V.250 §5.3–5.4), e.g. `+CIPSTART="TCP","host",80`
/// or the basic command `E0`.
public struct ATCommand: Equatable, Sendable {
    /// The form an extended command was given in; basic commands are always ``execute``.
    public enum Form: Equatable, Sendable {
        /// `AT+X` (or a basic command such as `ATE0`).
        case execute
        /// `AT+X?`
        case read
        /// `AT+X=?`
        case test
        /// `AT+X=<arguments>`
        case write([ATArgument])
    }

    /// The name in upper case, with its prefix: `+CIPSTATUS`, `E`, `&W`, `S0`.
    public var name: String
    /// The form of the command.
    public var form: Form
    /// The number of a basic command (`0` in `ATE0`), `nil` when none was given.
    public var value: Int?

    public init(name: String, form: Form = .execute, value: Int? = nil) {
        self.name = name
        self.form = form
        self.value = value
    }

    /// Whether this is an extended (`+`-prefixed) command.
    public var isExtended: Bool { name.first == "+" }

    /// The arguments of a write form, empty for the other forms.
    public var arguments: [ATArgument] {
        if case .write(let arguments) = form { return arguments }
        return []
    }
}

/// One argument of an extended command's write form.
public enum ATArgument: Equatable, Sendable {
    /// Nothing between two commas (`AT+X=1,,3`).
    case empty
    /// A quoted string, without its quotes.
    case string(String)
    /// An unquoted value: a number or a bare word.
    case token(String)

    /// The argument as a non-negative decimal integer, when it is an unquoted number.
    public var integer: Int? {
        guard case .token(let text) = self else { return nil }
        return Self.decimal(text)
    }

    /// The argument as an integer whether quoted or not (`80` or `"80"`), as SIM800 accepts ports.
    public var lenientInteger: Int? {
        switch self {
        case .token(let text), .string(let text): return Self.decimal(text)
        case .empty: return nil
        }
    }

    /// The text of a quoted or unquoted argument; `nil` when empty.
    public var text: String? {
        switch self {
        case .token(let text), .string(let text): return text
        case .empty: return nil
        }
    }

    private static func decimal(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 9, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return Int(text)
    }
}
