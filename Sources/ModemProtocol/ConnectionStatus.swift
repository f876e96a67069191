/// The state of the single-connection TCP/IP application (`AT+CIPMUX=0`), the `<sl_state>` of
/// `AT+CIPSTATUS` (spec `CIPSTATUS.md`; SIM800 manual §8.2.8).
///
/// The 14 words of the specification plus `IP CLOSE`, which SIM800/SIM900 firmware prints in the
/// `STATE:` line before `CONNECT FAIL`. A word the decoder does not know is kept as ``unknown(_:)``.
public enum SingleConnectionState: StateWord {
    case ipInitial, ipStart, ipConfig, ipGprsact, ipStatus
    case tcpConnecting, udpConnecting, serverListening
    case connectOK
    case tcpClosing, udpClosing
    case tcpClosed, udpClosed
    case pdpDeact
    case ipClose
    case unknown(String)

    /// The 15 known states, in the order of the specification.
    public static let known: [SingleConnectionState] = [
        .ipInitial, .ipStart, .ipConfig, .ipGprsact, .ipStatus, .tcpConnecting, .udpConnecting, .serverListening,
        .connectOK, .tcpClosing, .udpClosing, .tcpClosed, .udpClosed, .pdpDeact, .ipClose,
    ]

    /// The state word as the module prints it.
    public var rawValue: String {
        switch self {
        case .ipInitial: "IP INITIAL"
        case .ipStart: "IP START"
        case .ipConfig: "IP CONFIG"
        case .ipGprsact: "IP GPRSACT"
        case .ipStatus: "IP STATUS"
        case .tcpConnecting: "TCP CONNECTING"
        case .udpConnecting: "UDP CONNECTING"
        case .serverListening: "SERVER LISTENING"
        case .connectOK: "CONNECT OK"
        case .tcpClosing: "TCP CLOSING"
        case .udpClosing: "UDP CLOSING"
        case .tcpClosed: "TCP CLOSED"
        case .udpClosed: "UDP CLOSED"
        case .pdpDeact: "PDP DEACT"
        case .ipClose: "IP CLOSE"
        case .unknown(let word): word
        }
    }

}

/// The state of the multi-connection TCP/IP application (`AT+CIPMUX=1`), the `<ml_state>`.
public enum MultiConnectionState: StateWord {
    case ipInitial, ipStart, ipConfig, ipGprsact, ipStatus, ipProcessing, pdpDeact
    case unknown(String)

    /// The 7 known states, in the order of the specification.
    public static let known: [MultiConnectionState] = [
        .ipInitial, .ipStart, .ipConfig, .ipGprsact, .ipStatus, .ipProcessing, .pdpDeact,
    ]

    /// The state word as the module prints it: the single-connection state's word where the two
    /// modes share one.
    public var rawValue: String {
        switch self {
        case .ipProcessing: "IP PROCESSING"
        case .unknown(let word): word
        case .ipInitial, .ipStart, .ipConfig, .ipGprsact, .ipStatus, .pdpDeact: sharedState.rawValue
        }
    }

    /// The single-connection state printed with the same word.
    private var sharedState: SingleConnectionState {
        switch self {
        case .ipInitial: .ipInitial
        case .ipStart: .ipStart
        case .ipConfig: .ipConfig
        case .ipGprsact: .ipGprsact
        case .ipStatus: .ipStatus
        case .pdpDeact: .pdpDeact
        case .ipProcessing, .unknown: .unknown(rawValue)
        }
    }
}

/// The state of one link in multi-connection mode, the `<client state>`.
public enum ClientState: StateWord {
    case initial, connecting, connected, remoteClosing, closing, closed
    case unknown(String)

    /// The 6 known states, in the order of the specification.
    public static let known: [ClientState] = [.initial, .connecting, .connected, .remoteClosing, .closing, .closed]

    /// The state word as the module prints it.
    public var rawValue: String {
        switch self {
        case .initial: "INITIAL"
        case .connecting: "CONNECTING"
        case .connected: "CONNECTED"
        case .remoteClosing: "REMOTE CLOSING"
        case .closing: "CLOSING"
        case .closed: "CLOSED"
        case .unknown(let word): word
        }
    }

}

/// The transport of a link.
public enum TransportProtocol: String, Hashable, Sendable, CaseIterable {
    case tcp = "TCP"
    case udp = "UDP"
}

/// One link as `AT+CIPSTATUS` reports it: `<n>,<bearer>,<TCP/UDP>,<IP address>,<port>,<client state>`.
///
/// An unused link has no bearer, protocol, address or port (`C: 1,,"","","","INITIAL"`).
public struct LinkStatus: Hashable, Sendable {
    /// The link number, 0–5.
    public var number: Int
    /// The GPRS bearer (0 or 1), `nil` for an unused link.
    public var bearer: Int?
    /// TCP or UDP, `nil` for an unused link.
    public var transport: TransportProtocol?
    /// The remote IP address (or host name while connecting); empty for an unused link.
    public var address: String
    /// The remote port, `nil` for an unused link.
    public var port: Int?
    /// The link's client state.
    public var state: ClientState

    public init(
        number: Int, bearer: Int? = nil, transport: TransportProtocol? = nil, address: String = "", port: Int? = nil,
        state: ClientState = .initial
    ) {
        self.number = number
        self.bearer = bearer
        self.transport = transport
        self.address = address
        self.port = port
        self.state = state
    }

    /// An unused link.
    public static func unused(_ number: Int) -> LinkStatus { LinkStatus(number: number) }
}

/// The server line of a multi-connection reply: `S: <index>,<bearer>,"<port>","LISTENING"`.
public struct ServerStatus: Hashable, Sendable {
    /// The server's index, the first number of the `S:` line (0 on every SIM800 capture).
    public var index: Int
    /// The GPRS bearer the server listens on.
    public var bearer: Int
    /// The local port.
    public var port: Int
    /// The server state word, `LISTENING` while it accepts connections.
    public var state: String

    public init(index: Int = 0, bearer: Int = 0, port: Int, state: String = "LISTENING") {
        self.index = index
        self.bearer = bearer
        self.port = port
        self.state = state
    }
}

/// What `AT+CIPSTATUS` reports: the single-connection state, or the multi-connection state with
/// its server and links.
public enum ConnectionStatus: Hashable, Sendable {
    case single(SingleConnectionState)
    case multi(MultiConnectionState, server: ServerStatus?, links: [LinkStatus])
}

/// A vocabulary of state words: the known ones, each with the word the module prints, and a case
/// for words it does not know.
public protocol StateWord: Hashable, Sendable {
    /// The known states, in the order of the specification.
    static var known: [Self] { get }
    /// The state word as the module prints it.
    var rawValue: String { get }
    /// A word that is none of the known ones, kept as it was read.
    static func unknown(_ word: String) -> Self
}

extension StateWord {
    /// The state for a word (any case, spaces or underscores between words, quotes around it),
    /// `unknown` when it is not one of the known ones.
    public init(word: some StringProtocol) {
        let normalized = StateWords.normalize(word)
        self = Self.known.first { $0.rawValue == normalized } ?? .unknown(String(word))
    }
}

enum StateWords {
    /// Upper case, single spaces, no surrounding quotes or spaces.
    static func normalize(_ word: some StringProtocol) -> String {
        var result = ""
        var pendingSpace = false
        for character in word.uppercased() {
            if character == " " || character == "\t" || character == "_" {
                pendingSpace = !result.isEmpty
            } else if character != "\"" {
                if pendingSpace { result.append(" ") }
                pendingSpace = false
                result.append(character)
            }
        }
        return result
    }
}
