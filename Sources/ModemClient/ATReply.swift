import ModemProtocol

/// How a command ended (ITU-T V.250 §5.7.1; SIM800 manual §8.2 for the TCP/IP texts).
public enum FinalResult: Equatable, Sendable {
    /// `OK`.
    case ok
    /// A command's own success text instead of `OK`: `SHUT OK`, `CLOSE OK`, `0, CLOSE OK`,
    /// `SEND OK`, `0, SEND OK`, `DATA ACCEPT:0,10`, or the address `AT+CIFSR` answers with.
    case text(String)
    /// `CONNECT` (a data or transparent-mode connection was entered).
    case connect(String)
    /// `ERROR`.
    case error
    /// `+CME ERROR: <n>` or `+CME ERROR: <text>`; `error` is `nil` for a code this library does not know.
    case mobileEquipmentError(MobileEquipmentError?, raw: String)
    /// `+CMS ERROR: <n>`.
    case messageServiceError(String)
    /// `SEND FAIL` / `<n>, SEND FAIL`.
    case sendFailed(String)
    /// `NO CARRIER`, `BUSY`, `NO ANSWER`, `NO DIALTONE`.
    case callFailed(ResultCode)

    /// Whether the command succeeded.
    public var isSuccess: Bool {
        switch self {
        case .ok, .text, .connect: true
        default: false
        }
    }

    /// The line as the module wrote it.
    public var text: String {
        switch self {
        case .ok: "OK"
        case .text(let text), .connect(let text), .sendFailed(let text): text
        case .error: "ERROR"
        case .mobileEquipmentError(_, let raw): "+CME ERROR: \(raw)"
        case .messageServiceError(let raw): "+CMS ERROR: \(raw)"
        case .callFailed(let code): code.text
        }
    }

    /// Reads a generic final result code; `nil` for any other line.
    init?(line: String) {
        switch line {
        case "OK": self = .ok
        case "ERROR": self = .error
        case "CONNECT": self = .connect(line)
        default:
            if line.hasPrefix("+CME ERROR:") {
                let raw = String(Substring(line).dropFirst("+CME ERROR:".count).trimmingCharacters(in: " "))
                let error = Int(raw).flatMap(MobileEquipmentError.init(rawValue:)) ?? MobileEquipmentError(text: raw)
                self = .mobileEquipmentError(error, raw: raw)
            } else if line.hasPrefix("+CMS ERROR:") {
                self = .messageServiceError(
                    String(Substring(line).dropFirst("+CMS ERROR:".count).trimmingCharacters(in: " ")))
            } else if line.hasPrefix("CONNECT "), Int(line.dropFirst("CONNECT ".count)) != nil {
                self = .connect(line)
            } else if let code = ResultCode(text: line), code != .ring, code != .ok, code != .error {
                self = .callFailed(code)
            } else {
                return nil
            }
        }
    }
}

/// The complete reply to one command line.
public struct ATReply: Equatable, Sendable {
    /// The command line as sent, without its CR.
    public var command: String
    /// The information lines, without the echo, blank lines and unsolicited results.
    public var lines: [String]
    /// The raw bytes of `+CIPRXGET: 2,...` blocks, concatenated.
    public var data: [UInt8]
    /// How the command ended.
    public var result: FinalResult
    /// What the command reported after its final result, for the commands that have such an
    /// outcome (``ATRequest/Completion/connection(link:)``, ``ATRequest/Completion/lookup``,
    /// ``ATRequest/Completion/server(opening:)``); `nil` for the others, and after an `ERROR` that
    /// nothing followed.
    public var outcome: Outcome?

    /// The lines that followed a final result and belong to the command (SIM800 manual §8.2.2
    /// `CONNECT OK`, §8.2.19 `SERVER OK`, `AT+CDNSGIP`'s `+CDNSGIP:`).
    public struct Outcome: Equatable, Sendable {
        /// The lines, the one that decided last: `STATE: TCP CLOSED`, `CONNECT FAIL`.
        public var lines: [String]
        /// Whether it reports success: `CONNECT OK`, `CONNECT`, `ALREADY CONNECT`, `SERVER OK`,
        /// `+CDNSGIP: 1,…`, or `SERVER CLOSE` of `AT+CIPSERVER=0`.
        public var isSuccess: Bool

        /// Creates an outcome.
        public init(lines: [String], isSuccess: Bool) {
            self.lines = lines
            self.isSuccess = isSuccess
        }
    }

    /// Creates a reply.
    public init(
        command: String, lines: [String] = [], data: [UInt8] = [], result: FinalResult = .ok, outcome: Outcome? = nil
    ) {
        self.command = command
        self.lines = lines
        self.data = data
        self.result = result
        self.outcome = outcome
    }

    /// Whether the command did what it was asked: the outcome says so when there is one
    /// (`ERROR` then `ALREADY CONNECT` is a link that is up), else the final result.
    public var isSuccess: Bool {
        outcome?.isSuccess ?? result.isSuccess
    }

    /// The line that decided how the command ended: the outcome's last line, else the final result.
    public var verdict: String {
        outcome?.lines.last ?? result.text
    }

    /// The reply as a terminal would show it: information lines, the final result, then the outcome.
    public var transcript: String {
        (lines + [result.text] + (outcome?.lines ?? [])).joined(separator: "\n")
    }
}
