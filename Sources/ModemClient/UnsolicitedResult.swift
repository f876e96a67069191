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

    /// Classifies a line that may be an unsolicited result; `nil` when it is not one of the known forms.
    public init?(line: String) {
        let (link, text) = Self.splitLink(line)
        if link != nil {
            switch text {
            case "CONNECT OK": self = .connectOK(link: link)
            case "CONNECT FAIL": self = .connectFailed(link: link)
            case "ALREADY CONNECT": self = .alreadyConnected(link: link)
            case "CLOSED": self = .closed(link: link)
            default:
                guard text.hasPrefix("REMOTE IP:") else { return nil }
                self = .remoteIP(link: link, address: Self.value(after: "REMOTE IP:", in: text))
            }
            return
        }
        switch line {
        case "RDY": self = .ready
        case "Call Ready": self = .callReady
        case "SMS Ready": self = .smsReady
        case "CONNECT OK": self = .connectOK(link: nil)
        case "CONNECT FAIL": self = .connectFailed(link: nil)
        case "ALREADY CONNECT": self = .alreadyConnected(link: nil)
        case "CLOSED": self = .closed(link: nil)
        case "+PDP: DEACT": self = .pdpDeactivated
        case "SERVER OK": self = .serverOK
        default:
            if line.hasPrefix("+CFUN:") {
                self = .functionality(Self.value(after: "+CFUN:", in: line))
            } else if line.hasPrefix("+CPIN:") {
                self = .simStatus(Self.value(after: "+CPIN:", in: line))
            } else if line.hasPrefix("+CDNSGIP:") {
                self = .dnsResult(Self.value(after: "+CDNSGIP:", in: line))
            } else if line.hasPrefix("REMOTE IP:") {
                self = .remoteIP(link: nil, address: Self.value(after: "REMOTE IP:", in: line))
            } else if line.hasPrefix("STATE:") {
                self = .state(Self.value(after: "STATE:", in: line))
            } else if let link = Self.dataAvailableLink(line) {
                self = .dataAvailable(link: link)
            } else {
                return nil
            }
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

    /// `+CIPRXGET: 1` or `+CIPRXGET: 1,<n>`: the link, wrapped so that single mode (`nil`) differs from no match.
    static func dataAvailableLink(_ line: String) -> Int?? {
        guard line.hasPrefix("+CIPRXGET:") else { return nil }
        let fields = line.dropFirst("+CIPRXGET:".count).split(separator: ",").map { $0.trimmingCharacters(in: " ") }
        guard fields.first == "1" else { return nil }
        switch fields.count {
        case 1: return .some(nil)
        case 2: return Int(fields[1]).map { .some($0) } ?? nil
        default: return nil
        }
    }

    /// `0, CLOSED` → (0, "CLOSED"); a line without a link number → (nil, line).
    static func splitLink(_ line: String) -> (Int?, Substring) {
        let text = Substring(line)
        guard let comma = text.firstIndex(of: ","), comma > text.startIndex,
            text[..<comma].allSatisfy({ $0.isASCII && $0.isNumber }), text.distance(from: text.startIndex, to: comma) <= 2,
            let link = Int(text[..<comma])
        else { return (nil, text) }
        return (link, text[text.index(after: comma)...].trimmingCharacters(in: " "))
    }

    static func value(after prefix: String, in text: some StringProtocol) -> String {
        String(Substring(text).dropFirst(prefix.count).trimmingCharacters(in: " "))
    }
}
