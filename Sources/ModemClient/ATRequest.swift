import ModemProtocol

/// One command line for the engine: the text, how long to wait, and what ends its reply.
public struct ATRequest: Equatable, Sendable {
    /// What, besides `OK`/`ERROR`/`+CME ERROR`, ends a command's reply (SIM800 manual §8.2).
    public enum Completion: Equatable, Sendable {
        /// A final result code only.
        case standard
        /// `AT+CIFSR`: the address alone, with no `OK`.
        case localAddress
        /// `AT+CIPSHUT`: `SHUT OK`.
        case shut
        /// `AT+CIPCLOSE`: `CLOSE OK` or `<n>, CLOSE OK`, with no `OK`.
        case close
        /// `AT+CIPSEND`: the `> ` prompt, then the payload, then `SEND OK`, `<n>, SEND OK`,
        /// `DATA ACCEPT:...` or `SEND FAIL`.
        case send
        /// `AT+CIPSTATUS`: on SIM800-class modules `OK` comes first, then `STATE:` and, in multi
        /// mode, `S:`/`C:` lines (in either order); A6/A7 modules send `+CIPSTATUS:` and a line per
        /// link before `OK`. `multiConnection` is the mode when known: single ends at `STATE:`;
        /// multi at the `C:` line of link `linkCount - 1` (when the module's link count is known),
        /// else at link 7 or after ``ATRequest/settleTime`` of quiet once links 0–5 came. A reply
        /// cut short (fewer links) is not ended: the command times out with what arrived.
        case status(multiConnection: Bool?, linkCount: Int?)
        /// `AT+CIPSTART` (§8.2.2): after `OK`, the outcome of link `link` (`nil` in single mode):
        /// `CONNECT OK`, `CONNECT` (transparent mode), `ALREADY CONNECT`, or `CONNECT FAIL` after any
        /// `STATE:` line (single mode), or `+PDP: DEACT`; after `ERROR`, `ALREADY CONNECT` if it
        /// follows at once.
        case connection(link: Int?)
        /// `AT+CDNSGIP`: after `OK`, `+CDNSGIP: 1,…` (found) or `+CDNSGIP: 0,<error>`.
        case lookup
        /// `AT+CIPSERVER=<mode>` (§8.2.19): opening, after `OK`, `SERVER OK` or `SERVER CLOSE` (the
        /// port could not be opened); closing, `SERVER CLOSE`, before or after `OK`.
        case server(opening: Bool)
    }

    /// The command line without its CR, e.g. `AT+CIPSTATUS`.
    public var line: String
    /// How long to wait for the end of the reply.
    public var timeout: Duration
    /// What ends the reply.
    public var completion: Completion
    /// How long to wait, after the final result, for the outcome that follows it
    /// (``Completion/connection(link:)``, ``Completion/lookup``, ``Completion/server(opening:)``).
    public var outcomeTimeout: Duration
    /// Bytes written after the `> ` prompt (for ``Completion/send``).
    public var payload: [UInt8]
    /// For ``Completion/status`` with an unknown mode: the quiet time after the last status line
    /// that ends the reply.
    public var settleTime: Duration

    /// Creates a request; `timeout`, `outcomeTimeout` and `completion` default to what
    /// ``CommandTimeouts`` and the command say.
    public init(
        _ line: String, timeout: Duration? = nil, completion: Completion? = nil, outcomeTimeout: Duration? = nil,
        payload: [UInt8] = [], settleTime: Duration = .milliseconds(300)
    ) {
        self.line = line
        let name = Self.lastCommand(of: line)
        self.timeout = timeout ?? CommandTimeouts.timeout(for: name)
        let completion = completion ?? Self.completion(for: name)
        self.completion = completion
        self.outcomeTimeout = outcomeTimeout ?? CommandTimeouts.outcomeTimeout(for: completion)
        self.payload = payload
        self.settleTime = settleTime
    }

    /// The last command of the line, whose reply ends the line's reply; `nil` if the line does not parse.
    public var lastCommand: ATCommand? { Self.lastCommand(of: line) }

    static func lastCommand(of line: String) -> ATCommand? {
        (try? ATCommandParser.parse(line))?.last
    }

    static func completion(for command: ATCommand?) -> Completion {
        guard let command else { return .standard }
        switch (command.name, command.form) {
        case ("+CIFSR", .execute): return .localAddress
        case ("+CIPSHUT", .execute): return .shut
        case ("+CIPCLOSE", .execute), ("+CIPCLOSE", .write): return .close
        case ("+CIPSEND", .execute), ("+CIPSEND", .write): return .send
        case ("+CIPSTATUS", .execute): return .status(multiConnection: nil, linkCount: nil)
        case ("+CIPSTART", .write(let arguments)):
            // `<n>,"TCP","host",port` in multi mode, `"TCP","host",port` in single mode.
            return .connection(link: arguments.count == 4 ? arguments[0].integer : nil)
        case ("+CDNSGIP", .write): return .lookup
        case ("+CIPSERVER", .write(let arguments)):
            switch arguments.first?.integer {
            case 1?: return .server(opening: true)
            case 0?: return .server(opening: false)
            default: return .standard
            }
        default: return .standard
        }
    }
}

/// The default time the engine waits for a reply, from the "Max Response Time" rows of the SIM800
/// Series AT Command Manual V1.09 (chapters 3, 6, 7 and 8).
///
/// | command | wait | source |
/// |---|---|---|
/// | `+CIICR` | 85 s | manual, AT+CIICR |
/// | `+CIPSTART` | 160 s until `OK`; then `CONNECT OK` within 75 s (multi) or 160 s (single, from IP INITIAL) | §8.2.2 |
/// | `+CIPSEND` | 645 s | manual, AT+CIPSEND |
/// | `+CIPSHUT` | 65 s | manual, AT+CIPSHUT (§8.2.7) |
/// | `+CIFSR`, `+CIPCLOSE`, `+CIPSTATUS`, `+CSTT`, `+CIPSERVER`, `+CIPMUX`, `+CIPRXGET` | 2 s | none given ("-"); 2 s as TinyGSM waits |
/// | `+CDNSGIP`, `+CIPPING` | 10 s, 100 s; then `+CDNSGIP:` within 30 s | none given; 30 s is the module's own lookup limit in the emulator |
/// | `+CIPSERVER=1`, `=0` | 2 s; then `SERVER OK`/`SERVER CLOSE` within 2 s | none given |
/// | `+COPS` | 120 s | manual, AT+COPS |
/// | `+CGATT`, `+CFUN` | 10 s | manual |
/// | `+CPIN`, `&W`, `Z`, `+CLCK`, `+CPWD` | 5 s | manual |
/// | `+SAPBR` | 85 s | manual, AT+SAPBR |
/// | `+CMGS`, `+CMGR`, `+CMGL` | 60 s | manual |
/// | `D` | 20 s | manual, ATD |
/// | anything else (`AT`, `ATE0`, `+CSQ`, `+CREG?`, …) | 1 s | immediate commands |
public enum CommandTimeouts {
    /// The wait for everything the table does not list.
    public static let standard: Duration = .seconds(1)

    /// The default wait for a command, by its name.
    public static func timeout(for command: ATCommand?) -> Duration {
        guard let command else { return standard }
        switch command.name {
        case "+CIICR", "+SAPBR": return .seconds(85)
        case "+CIPSTART": return .seconds(160)
        case "+CIPSEND": return .seconds(645)
        case "+CIPSHUT": return .seconds(65)
        case "+CIFSR", "+CIPCLOSE", "+CIPSTATUS", "+CSTT", "+CIPSERVER", "+CIPMUX", "+CIPRXGET": return .seconds(2)
        case "+CDNSGIP": return .seconds(10)
        case "+CIPPING": return .seconds(100)
        case "+COPS": return .seconds(120)
        case "+CGATT", "+CFUN": return .seconds(10)
        case "+CPIN", "&W", "Z", "+CLCK", "+CPWD": return .seconds(5)
        case "+CMGS", "+CMGR", "+CMGL": return .seconds(60)
        case "D": return .seconds(20)
        default: return standard
        }
    }

    /// How long ``ModemClient/connect(link:to:port:protocol:)`` waits for `CONNECT OK` after `OK`:
    /// 75 s in multi-connection mode, 160 s in single mode (§8.2.2).
    public static func connectTimeout(multiConnection: Bool) -> Duration {
        multiConnection ? .seconds(75) : .seconds(160)
    }

    /// How long the outcome that follows a command's final result may take (`CONNECT OK`,
    /// `+CDNSGIP:`, `SERVER OK`); zero for a completion that has none.
    public static func outcomeTimeout(for completion: ATRequest.Completion) -> Duration {
        switch completion {
        case .connection(let link): connectTimeout(multiConnection: link != nil)
        case .lookup: .seconds(30)
        case .server: .seconds(2)
        case .standard, .localAddress, .shut, .close, .send, .status: .zero
        }
    }
}
