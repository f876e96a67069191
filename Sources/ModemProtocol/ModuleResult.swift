/// The lines a module writes that are not information text of a reply: unsolicited result codes
/// and the TCP/IP application's own final results (SIM800 manual §8.2 and the power-on messages of
/// §1.4; real forms in docs/research/real-logs.md).
///
/// One vocabulary for both sides of the serial line: the modem encodes a result with ``line``, the
/// host decodes a line with ``init(line:)``. `link` is the `<n>` of multi-connection mode
/// (`0, CLOSED`), `nil` in single-connection mode (`CLOSED`).
public enum ModuleResult: Hashable, Sendable {
    /// `RDY`: the module (re)started.
    case ready
    /// `+CFUN: <fun>`.
    case functionality(Int)
    /// `+CPIN: <code>`, e.g. `READY`, `NOT READY`.
    case simStatus(String)
    /// `Call Ready`.
    case callReady
    /// `SMS Ready`.
    case smsReady
    /// `CONNECT OK`: `AT+CIPSTART` connected.
    case connectOK(link: Int?)
    /// `CONNECT FAIL`: `AT+CIPSTART` gave up.
    case connectFail(link: Int?)
    /// `ALREADY CONNECT`: `AT+CIPSTART` on a link that is open.
    case alreadyConnect(link: Int?)
    /// `CLOSED`: the peer or the network closed the link.
    case closed(link: Int?)
    /// `CLOSE OK`: `AT+CIPCLOSE` closed the link.
    case closeOK(link: Int?)
    /// `SEND OK`: the network took a send's data.
    case sendOK(link: Int?)
    /// `SEND FAIL`: a send's data could not be sent.
    case sendFail(link: Int?)
    /// `DATA ACCEPT:<length>` (`DATA ACCEPT:<n>,<length>`): quick send took the data.
    case dataAccept(link: Int?, length: Int)
    /// `REMOTE IP: <ip>`: a peer connected to the server.
    case remoteIP(link: Int?, address: String)
    /// `+CIPRXGET: 1[,<n>]`: data waits to be read with `AT+CIPRXGET=2`.
    case dataAvailable(link: Int?)
    /// `SHUT OK`: `AT+CIPSHUT` finished.
    case shutOK
    /// `SERVER OK`: `AT+CIPSERVER=1` listens.
    case serverOK
    /// `SERVER CLOSE`: the server stopped listening.
    case serverClose
    /// `+PDP: DEACT`: the network released the PDP context; only `AT+CIPSHUT` leaves that state.
    case pdpDeact
    /// `STATE: <state>` outside a reply to `AT+CIPSTATUS` (it precedes `CONNECT FAIL`).
    case state(SingleConnectionState)
    /// `+SAPBR <cid>: DEACT`: an `AT+SAPBR` bearer went down with the packet domain.
    case bearerDeactivated(profile: Int)

    /// The line as the module writes it, without framing.
    public var line: String {
        switch self {
        case .ready: "RDY"
        case .functionality(let level): "+CFUN: \(level)"
        case .simStatus(let code): "+CPIN: \(code)"
        case .callReady: "Call Ready"
        case .smsReady: "SMS Ready"
        case .connectOK(let link): Self.prefixed(link, "CONNECT OK")
        case .connectFail(let link): Self.prefixed(link, "CONNECT FAIL")
        case .alreadyConnect(let link): Self.prefixed(link, "ALREADY CONNECT")
        case .closed(let link): Self.prefixed(link, "CLOSED")
        case .closeOK(let link): Self.prefixed(link, "CLOSE OK")
        case .sendOK(let link): Self.prefixed(link, "SEND OK")
        case .sendFail(let link): Self.prefixed(link, "SEND FAIL")
        case .dataAccept(let link, let length): "DATA ACCEPT:" + (link.map { "\($0),\(length)" } ?? "\(length)")
        case .remoteIP(let link, let address): Self.prefixed(link, "REMOTE IP: \(address)")
        case .dataAvailable(let link): "+CIPRXGET: 1" + (link.map { ",\($0)" } ?? "")
        case .shutOK: "SHUT OK"
        case .serverOK: "SERVER OK"
        case .serverClose: "SERVER CLOSE"
        case .pdpDeact: "+PDP: DEACT"
        case .state(let state): "STATE: \(state.rawValue)"
        case .bearerDeactivated(let profile): "+SAPBR \(profile): DEACT"
        }
    }

    /// The result a line spells, or `nil` when it is none of the known forms.
    public init?(line: some StringProtocol) {
        let line = String(line)
        let (link, text) = Self.splitLink(line)
        if let result = Self.linkResults.lazy.compactMap({ $0(link, text) }).first {
            self = result
            return
        }
        guard link == nil else { return nil }
        if let result = Self.fixed.first(where: { $0.line == line }) {
            self = result
        } else if let value = Self.value(after: "+CFUN:", in: line), let level = Int(value) {
            self = .functionality(level)
        } else if let value = Self.value(after: "+CPIN:", in: line) {
            self = .simStatus(value)
        } else if let value = Self.value(after: "STATE:", in: line) {
            self = .state(SingleConnectionState(word: value))
        } else if let value = Self.value(after: "DATA ACCEPT:", in: line) {
            let numbers = value.split(separator: ",").map { Int($0.trimmingCharacters(in: " ")) }
            switch numbers.count {
            case 1 where numbers[0] != nil: self = .dataAccept(link: nil, length: numbers[0]!)
            case 2 where numbers[0] != nil && numbers[1] != nil: self = .dataAccept(link: numbers[0], length: numbers[1]!)
            default: return nil
            }
        } else if let value = Self.value(after: "+CIPRXGET:", in: line) {
            let fields = value.split(separator: ",").map { $0.trimmingCharacters(in: " ") }
            guard fields.first == "1", fields.count <= 2 else { return nil }
            if fields.count == 2 {
                guard let link = Int(fields[1]) else { return nil }
                self = .dataAvailable(link: link)
            } else {
                self = .dataAvailable(link: nil)
            }
        } else if line.hasPrefix("+SAPBR "), line.hasSuffix(": DEACT"),
            let profile = Int(line.dropFirst("+SAPBR ".count).dropLast(": DEACT".count))
        {
            self = .bearerDeactivated(profile: profile)
        } else {
            return nil
        }
    }

    /// The results without parameters, matched by their whole line.
    private static let fixed: [ModuleResult] = [.ready, .callReady, .smsReady, .shutOK, .serverOK, .serverClose, .pdpDeact]

    /// The results that may carry a link number, each matching the text after the number.
    private static let linkResults: [@Sendable (Int?, Substring) -> ModuleResult?] = {
        let words: [@Sendable (Int?) -> ModuleResult] = [
            ModuleResult.connectOK, ModuleResult.connectFail, ModuleResult.alreadyConnect, ModuleResult.closed,
            ModuleResult.closeOK, ModuleResult.sendOK, ModuleResult.sendFail,
        ]
        var matchers: [@Sendable (Int?, Substring) -> ModuleResult?] = words.map { make in
            let word = make(nil).line
            return { link, text in text == word ? make(link) : nil }
        }
        let remote = ModuleResult.remoteIP(link: nil, address: "").line
        matchers.append { link, text in
            guard text.hasPrefix(remote) else { return nil }
            return .remoteIP(link: link, address: String(text.dropFirst(remote.count).trimmingCharacters(in: " ")))
        }
        return matchers
    }()

    private static func prefixed(_ link: Int?, _ text: String) -> String {
        link.map { "\($0), \(text)" } ?? text
    }

    /// `0, CLOSED` → (0, "CLOSED"); a line without a link number → (nil, line).
    private static func splitLink(_ line: String) -> (link: Int?, text: Substring) {
        let text = Substring(line)
        guard let comma = text.firstIndex(of: ","), comma > text.startIndex,
            text.distance(from: text.startIndex, to: comma) <= 2,
            text[..<comma].allSatisfy({ $0.isASCII && $0.isNumber }),
            let link = Int(text[..<comma])
        else { return (nil, text) }
        return (link, text[text.index(after: comma)...].trimmingCharacters(in: " "))
    }

    /// The text after `prefix`, trimmed of spaces, when `line` starts with it.
    private static func value(after prefix: String, in line: String) -> String? {
        guard line.hasPrefix(prefix) else { return nil }
        return String(line.dropFirst(prefix.count).trimmingCharacters(in: " "))
    }
}

extension StringProtocol {
    /// The text without `character` at either end.
    package func trimmingCharacters(in character: Character) -> Substring {
        var text = Substring(self)
        while text.first == character { text = text.dropFirst() }
        while text.last == character { text = text.dropLast() }
        return text
    }
}
