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
            guard line.hasPrefix("+CDNSGIP:") else { return nil }
            self = .dnsResult(String(line.dropFirst("+CDNSGIP:".count).trimmingCharacters(in: " ")))
        }
    }

    /// A data header (`+RECEIVE,<n>,<len>:`, `+IPD,...:`) and its bytes, `nil` for other headers.
    init?(header: String, bytes: [UInt8]) {
        if header.hasPrefix("+RECEIVE,") {
            let link = header.dropFirst("+RECEIVE,".count).split(separator: ",").first.flatMap { Int($0) }
            self = .received(link: link, bytes: bytes)
        } else if header.hasPrefix("+IPD,") {
            let fields = header.dropFirst("+IPD,".count).dropLast().split(separator: ",")
            self = .received(link: fields.count == 2 ? Int(fields[0]) : nil, bytes: bytes)
        } else {
            return nil
        }
    }
}
