import ModemProtocol

/// An unsolicited result code: a line the module writes on its own, not as part of a reply
/// (SIM800 manual §8.2 and the power-on messages of §1.4; real forms in docs/research/real-logs.md).
///
/// `link` is the `<n>` of multi-connection mode (`0, CLOSED`), `nil` in single-connection mode.
public enum UnsolicitedResult: Equatable, Sendable {
    /// `RDY`: the module (re)started.
    case ready
    /// `+CFUN: <fun>`.
    case functionality(String)
    /// `+CPIN: <code>`, e.g. `READY`, `NOT READY`.
    case simStatus(String)
    /// `Call Ready`.
    case callReady
    /// `SMS Ready`.
    case smsReady
    /// `CONNECT OK` / `<n>, CONNECT OK`: `AT+CIPSTART` connected.
    case connectOK(link: Int?)
    /// `CONNECT FAIL` / `<n>, CONNECT FAIL`: `AT+CIPSTART` gave up.
    case connectFailed(link: Int?)
    /// `ALREADY CONNECT` / `<n>, ALREADY CONNECT`.
    case alreadyConnected(link: Int?)
    /// `CLOSED` / `<n>, CLOSED`: the peer or the network closed the link.
    case closed(link: Int?)
    /// `+PDP: DEACT`: the network released the PDP context; only `AT+CIPSHUT` leaves that state.
    case pdpDeactivated
    /// `+CIPRXGET: 1[,<n>]`: data waits to be read with `AT+CIPRXGET=2`.
    case dataAvailable(link: Int?)
    /// `+RECEIVE,<n>,<len>:` or `+IPD,<len>:` and the bytes that followed.
    case received(link: Int?, bytes: [UInt8])
    /// `REMOTE IP: <ip>` / `<n>, REMOTE IP: <ip>`: a peer connected to the server.
    case remoteIP(link: Int?, address: String)
    /// `+CDNSGIP: ...`: the result of `AT+CDNSGIP`, as the module wrote it.
    case dnsResult(String)
    /// `SERVER OK`: `AT+CIPSERVER=1` listens.
    case serverOK
    /// `STATE: <state>` outside a reply to `AT+CIPSTATUS` (it precedes `CONNECT FAIL`).
    case state(String)
    /// Any other line that arrived while no command was running.
    case other(String)

    /// Classifies a line that may be an unsolicited result; `nil` when it is not one of the known
    /// forms. Decoded with the module's vocabulary, ``ModuleResult``.
    public init?(line: String) {
        switch ModuleResult(line: line) {
        case .ready?: self = .ready
        case .functionality(let level)?: self = .functionality(String(level))
        case .simStatus(let code)?: self = .simStatus(code)
        case .callReady?: self = .callReady
        case .smsReady?: self = .smsReady
        case .connectOK(let link)?: self = .connectOK(link: link)
        case .connectFail(let link)?: self = .connectFailed(link: link)
        case .alreadyConnect(let link)?: self = .alreadyConnected(link: link)
        case .closed(let link)?: self = .closed(link: link)
        case .pdpDeact?: self = .pdpDeactivated
        case .dataAvailable(let link)?: self = .dataAvailable(link: link)
        case .remoteIP(let link, let address)?: self = .remoteIP(link: link, address: address)
        case .serverOK?: self = .serverOK
        case .state?: self = .state(String(line.dropFirst("STATE:".count).trimmingCharacters(in: " ")))
        case .closeOK?, .sendOK?, .sendFail?, .dataAccept?, .shutOK?, .serverClose?, .bearerDeactivated?, nil:
            guard line.hasPrefix(Self.dnsPrefix) else { return nil }
            self = .dnsResult(String(line.dropFirst(Self.dnsPrefix.count).trimmingCharacters(in: " ")))
        }
    }

    /// A data header (`+RECEIVE,<n>,<len>:`, `+IPD,...:`) and its bytes, `nil` for other headers.
    init?(header: String, bytes: [UInt8]) {
        if header.hasPrefix(Self.multiDataPrefix) {
            let link = header.dropFirst(Self.multiDataPrefix.count).split(separator: ",").first.flatMap { Int($0) }
            self = .received(link: link, bytes: bytes)
        } else if header.hasPrefix(Self.singleDataPrefix) {
            let fields = header.dropFirst(Self.singleDataPrefix.count).dropLast().split(separator: ",")
            self = .received(link: fields.count == 2 ? Int(fields[0]) : nil, bytes: bytes)
        } else {
            return nil
        }
    }
}

extension UnsolicitedResult: CustomStringConvertible {
    /// The line as the module wrote it, without framing: `1, CLOSED`, `+PDP: DEACT`; for
    /// ``received(link:bytes:)`` the data header (`+RECEIVE,1,5:` in multi-connection mode, `+IPD,5:`
    /// in single), not the data.
    ///
    /// Spelled by ``ModuleResult/line`` where the module's vocabulary has the result.
    public var line: String {
        switch self {
        case .ready: ModuleResult.ready.line
        case .functionality(let level):
            // A level that is not a number was not decoded from a line; it is shown in the same form.
            Int(level).map { ModuleResult.functionality($0).line }
                ?? ModuleResult.functionality(0).line.dropLast() + level
        case .simStatus(let code): ModuleResult.simStatus(code).line
        case .callReady: ModuleResult.callReady.line
        case .smsReady: ModuleResult.smsReady.line
        case .connectOK(let link): ModuleResult.connectOK(link: link).line
        case .connectFailed(let link): ModuleResult.connectFail(link: link).line
        case .alreadyConnected(let link): ModuleResult.alreadyConnect(link: link).line
        case .closed(let link): ModuleResult.closed(link: link).line
        case .pdpDeactivated: ModuleResult.pdpDeact.line
        case .dataAvailable(let link): ModuleResult.dataAvailable(link: link).line
        case .received(let link, let bytes):
            link.map { "\(Self.multiDataPrefix)\($0),\(bytes.count):" }
                ?? "\(Self.singleDataPrefix)\(bytes.count):"
        case .remoteIP(let link, let address): ModuleResult.remoteIP(link: link, address: address).line
        case .dnsResult(let text): "\(Self.dnsPrefix) \(text)"
        case .serverOK: ModuleResult.serverOK.line
        case .state(let word): ModuleResult.state(SingleConnectionState(word: word)).line
        case .other(let line): line
        }
    }

    /// The wire text (``line``); received data is summarised after its header: `+RECEIVE,1,5: [5 bytes]`.
    public var description: String {
        guard case .received(_, let bytes) = self else { return line }
        return "\(line) [\(bytes.count) bytes]"
    }

    /// The link number the result names, `nil` in single-connection mode and for results about no link.
    public var link: Int? {
        switch self {
        case .connectOK(let link), .connectFailed(let link), .alreadyConnected(let link), .closed(let link),
            .dataAvailable(let link), .received(let link, _), .remoteIP(let link, _):
            link
        case .ready, .functionality, .simStatus, .callReady, .smsReady, .pdpDeactivated, .dnsResult, .serverOK, .state,
            .other:
            nil
        }
    }

    /// `+RECEIVE,<n>,<len>:`, the header of received data in multi-connection mode (SIM800 manual §8.2.1).
    private static let multiDataPrefix = "+RECEIVE,"
    /// `+IPD,<len>:`, the header of received data with `AT+CIPHEAD=1`.
    private static let singleDataPrefix = "+IPD,"
    /// `+CDNSGIP: <n>,...`, the result of `AT+CDNSGIP`.
    private static let dnsPrefix = "+CDNSGIP:"
}
