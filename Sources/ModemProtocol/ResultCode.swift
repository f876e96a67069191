/// A final result code (ITU-T V.250 §5.7.1), in its verbose (`ATV1`) and numeric (`ATV0`) forms.
public enum ResultCode: Int, Sendable, CaseIterable {
    case ok = 0
    case connect = 1
    case ring = 2
    case noCarrier = 3
    case error = 4
    case noDialtone = 6
    case busy = 7
    case noAnswer = 8

    /// The verbose text, e.g. `OK`, `NO CARRIER`.
    public var text: String {
        switch self {
        case .ok: "OK"
        case .connect: "CONNECT"
        case .ring: "RING"
        case .noCarrier: "NO CARRIER"
        case .error: "ERROR"
        case .noDialtone: "NO DIALTONE"
        case .busy: "BUSY"
        case .noAnswer: "NO ANSWER"
        }
    }

    /// The code for a verbose text, if it is one.
    public init?(text: some StringProtocol) {
        guard let code = Self.allCases.first(where: { $0.text == text }) else { return nil }
        self = code
    }
}

/// A mobile equipment error (3GPP TS 27.007 §9.2, SIM800 manual §19.1), reported as
/// `+CME ERROR: <n>` under `AT+CMEE=1` and `+CME ERROR: <text>` under `AT+CMEE=2`.
public enum MobileEquipmentError: Int, Sendable, CaseIterable, Error {
    case phoneFailure = 0
    case operationNotAllowed = 3
    case operationNotSupported = 4
    case simNotInserted = 10
    case simPINRequired = 11
    case simBusy = 14
    case memoryFull = 20
    case notFound = 22
    case textStringTooLong = 24
    case noNetworkService = 30
    case networkTimeout = 31
    case incorrectParameters = 50
    case unknown = 100

    /// The verbose text of the error, as SIM800 prints it under `AT+CMEE=2`.
    public var text: String {
        switch self {
        case .phoneFailure: "phone failure"
        case .operationNotAllowed: "operation not allowed"
        case .operationNotSupported: "operation not supported"
        case .simNotInserted: "SIM not inserted"
        case .simPINRequired: "SIM PIN required"
        case .simBusy: "SIM busy"
        case .memoryFull: "memory full"
        case .notFound: "not found"
        case .textStringTooLong: "text string too long"
        case .noNetworkService: "no network service"
        case .networkTimeout: "network timeout"
        case .incorrectParameters: "Incorrect parameters"
        case .unknown: "unknown"
        }
    }

    /// The error for a verbose text, compared case-insensitively.
    public init?(text: some StringProtocol) {
        let lowered = text.lowercased()
        guard let error = Self.allCases.first(where: { $0.text.lowercased() == lowered }) else { return nil }
        self = error
    }
}

/// How errors are reported, set by `AT+CMEE` (SIM800 manual §3.2.18).
public enum ErrorReporting: Int, Sendable {
    /// `ERROR` only.
    case disabled = 0
    /// `+CME ERROR: <n>`.
    case numeric = 1
    /// `+CME ERROR: <text>`.
    case verbose = 2
}

/// Writes lines to the serial side in the framing `ATV0`/`ATV1` selects (ITU-T V.250 §5.7.1,
/// §6.2.6): verbose frames every line as `\r\n<text>\r\n`; numeric writes information text as
/// `<text>\r\n` and result codes as `<code>\r`.
public struct ResponseFormatter: Sendable, Equatable {
    /// `true` under `ATV1` (the default), `false` under `ATV0`.
    public var verbose: Bool
    /// The `AT+CMEE` setting.
    public var errorReporting: ErrorReporting

    public init(verbose: Bool = true, errorReporting: ErrorReporting = .disabled) {
        self.verbose = verbose
        self.errorReporting = errorReporting
    }

    /// Appends an information line or an unsolicited result code.
    public func appendLine(_ text: some StringProtocol, to output: inout [UInt8]) {
        appendLine(to: &output) { $0.append(contentsOf: text.utf8) }
    }

    /// Appends a line whose text `body` writes, framed like ``appendLine(_:to:)``.
    public func appendLine(to output: inout [UInt8], _ body: (inout [UInt8]) -> Void) {
        if verbose {
            output.append(0x0D)
            output.append(0x0A)
        }
        body(&output)
        output.append(0x0D)
        output.append(0x0A)
    }

    /// Appends a final result code.
    public func appendResult(_ code: ResultCode, to output: inout [UInt8]) {
        if verbose {
            appendLine(code.text, to: &output)
        } else {
            output.append(UInt8(ascii: "0") + UInt8(code.rawValue))
            output.append(0x0D)
        }
    }

    /// Appends the final result for a failed command: `ERROR`, or `+CME ERROR` under `AT+CMEE=1/2`
    /// when the failure has a mobile equipment error.
    public func appendError(_ error: MobileEquipmentError?, to output: inout [UInt8]) {
        guard let error else {
            appendResult(.error, to: &output)
            return
        }
        switch errorReporting {
        case .disabled: appendResult(.error, to: &output)
        case .numeric: appendLine("+CME ERROR: \(error.rawValue)", to: &output)
        case .verbose: appendLine("+CME ERROR: \(error.text)", to: &output)
        }
    }
}
