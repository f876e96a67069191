import DequeModule
import ModemProtocol

/// Where a link's connection came from.
enum LinkOrigin: Equatable, Sendable {
    /// `AT+CIPSTART`.
    case client
    /// A peer connected to `AT+CIPSERVER`.
    case server
}

/// The life of one link, from `AT+CIPSTART` (or an accepted connection) to its close
/// (SIM800 manual §8.2.8 `<client state>`).
enum LinkPhase: Equatable, Sendable {
    /// Waiting for the PDP context (`AT+CIPSTART` in `IP INITIAL`), then for the socket.
    case connecting(awaitingContext: Bool)
    case connected
    /// The peer closed; unread data is still buffered for `AT+CIPRXGET`.
    case remoteClosing
    /// `AT+CIPCLOSE` started a close that the network has not finished.
    case closing
    /// Closed. `beforeConnect` when the attempt was closed before it completed (`IP CLOSE`),
    /// `failed` when it ended in `CONNECT FAIL`.
    case closed(beforeConnect: Bool)

    /// Whether a socket is (or is about to be) open for this link.
    var isActive: Bool {
        switch self {
        case .closed: false
        default: true
        }
    }

    var clientState: ClientState {
        switch self {
        case .connecting: .connecting
        case .connected: .connected
        case .remoteClosing: .remoteClosing
        case .closing: .closing
        case .closed: .closed
        }
    }
}

/// One of the module's links 0–5 with the connection behind it.
struct Link: Equatable, Sendable {
    let id: ConnectionID
    let transport: TransportProtocol
    var address: String
    let port: Int
    let bearer: Int
    let origin: LinkOrigin
    var phase: LinkPhase
    /// Unread data in `AT+CIPRXGET=1` mode.
    var unread = Deque<UInt8>()
    /// The modem asked the runtime to stop reading this link's socket.
    var readingPaused = false
    /// Bytes handed to the runtime with ``ModemAction/send(_:_:)`` since the link opened.
    var queuedTotal: UInt64 = 0
    /// Of those, the bytes the runtime reported handed to the network (``NetworkEvent/sent(_:count:)``).
    var sentTotal: UInt64 = 0

    /// Bytes in the module's send buffer: accepted from the host, not yet handed to the network.
    var unsent: Int { Int(queuedTotal - sentTotal) }

    var status: LinkStatus {
        LinkStatus(number: 0, bearer: bearer, transport: transport, address: address, port: port, state: phase.clientState)
    }
}
