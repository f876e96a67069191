import DequeModule
import ModemProtocol

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
    /// Closed. `beforeConnect` when the attempt was closed before it completed (`IP CLOSE`).
    case closed(beforeConnect: Bool)

    /// Whether the link is in use: a socket is (or is about to be) open, or unread data remains.
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

/// One of the module's links with the connection behind it: its phase, its send buffer's
/// accounting and its unread data. Every change is one of the named transitions below, each
/// appending the actions it needs.
struct Link: Equatable, Sendable {
    let id: ConnectionID
    let transport: TransportProtocol
    private(set) var address: String
    let port: Int
    let bearer: Int
    private(set) var phase: LinkPhase
    /// Unread data in `AT+CIPRXGET=1` mode.
    private(set) var unread = Deque<UInt8>()
    /// The modem asked the runtime to stop reading this link's socket.
    private(set) var readingPaused = false
    /// Bytes handed to the runtime with ``ModemAction/send(_:_:)`` since the link opened.
    private(set) var queuedTotal: UInt64 = 0
    /// Of those, the bytes the runtime reported handed to the network (``NetworkEvent/sent(_:count:)``).
    private(set) var sentTotal: UInt64 = 0

    /// A link `AT+CIPSTART` opens; it dials once the context is up.
    static func dialing(
        _ id: ConnectionID, _ transport: TransportProtocol, host: String, port: Int, bearer: Int
    ) -> Link {
        Link(id: id, transport: transport, address: host, port: port, bearer: bearer, phase: .connecting(awaitingContext: true))
    }

    /// A connection a peer opened to the server.
    static func accepted(_ id: ConnectionID, address: String, port: Int, bearer: Int) -> Link {
        Link(id: id, transport: .tcp, address: address, port: port, bearer: bearer, phase: .connected)
    }

    private init(
        id: ConnectionID, transport: TransportProtocol, address: String, port: Int, bearer: Int, phase: LinkPhase
    ) {
        self.id = id
        self.transport = transport
        self.address = address
        self.port = port
        self.bearer = bearer
        self.phase = phase
    }

    /// Bytes in the module's send buffer: accepted from the host, not yet handed to the network.
    var unsent: Int { Int(queuedTotal - sentTotal) }

    var status: LinkStatus {
        LinkStatus(number: 0, bearer: bearer, transport: transport, address: address, port: port, state: phase.clientState)
    }

    /// The timer the phase has running.
    private var runningTimer: ModemTimer? {
        switch phase {
        case .connecting(awaitingContext: false): .connect(id)
        case .closing: .close(id)
        default: nil
        }
    }

    /// Whether the runtime has a socket open for this link.
    private var hasSocket: Bool {
        switch phase {
        case .connecting(awaitingContext: false), .connected, .closing: true
        case .connecting(awaitingContext: true), .remoteClosing, .closed: false
        }
    }

    // MARK: Opening

    /// The context is up: opens the socket, with `AT+CIPSTART`'s time limit.
    mutating func dial(timeout: Duration, actions: inout [ModemAction]) {
        guard phase == .connecting(awaitingContext: true) else { return }
        phase = .connecting(awaitingContext: false)
        actions.append(.connect(id, transport, host: address, port: port))
        actions.append(.startTimer(.connect(id), after: timeout))
    }

    /// The network connected the socket; `false` when the link was not waiting for it.
    mutating func connected(remoteAddress: String, actions: inout [ModemAction]) -> Bool {
        guard phase == .connecting(awaitingContext: false) else { return false }
        actions.append(.cancelTimer(.connect(id)))
        phase = .connected
        if !remoteAddress.isEmpty { address = remoteAddress }
        return true
    }

    /// The attempt failed (refused, timed out, or its context never came); `false` when the link
    /// was not connecting.
    mutating func connectFailed(actions: inout [ModemAction]) -> Bool {
        guard case .connecting = phase else { return false }
        finish(beforeConnect: false, actions: &actions)
        return true
    }

    // MARK: Closing

    /// `AT+CIPCLOSE` of a link still connecting: closed before it connected (`IP CLOSE`).
    mutating func abort(actions: inout [ModemAction]) {
        finish(beforeConnect: true, actions: &actions)
    }

    /// `AT+CIPCLOSE` of an open link: quick closes at once; otherwise TCP sends FIN and waits for
    /// the peer's (UDP deregisters the port) until `timeout`. Unread data is discarded.
    mutating func close(quick: Bool, timeout: Duration, actions: inout [ModemAction]) {
        unread.removeAll()
        if quick {
            finish(beforeConnect: false, actions: &actions)
        } else {
            actions.append(.close(id, graceful: true))
            actions.append(.startTimer(.close(id), after: timeout))
            phase = .closing
        }
    }

    /// A graceful close completed, or its time ran out; `false` when none was in progress.
    mutating func closeFinished(actions: inout [ModemAction]) -> Bool {
        guard phase == .closing else { return false }
        finish(beforeConnect: false, actions: &actions)
        return true
    }

    /// The peer closed a connected link. With unread data kept for `AT+CIPRXGET` the link stays in
    /// `REMOTE CLOSING` until it is read; otherwise it is closed and `true` says so.
    mutating func remoteClosed(keepingUnread: Bool, actions: inout [ModemAction]) -> Bool {
        if keepingUnread, !unread.isEmpty {
            actions.append(.close(id, graceful: false))
            phase = .remoteClosing
            return false
        }
        finish(beforeConnect: false, actions: &actions)
        return true
    }

    /// The module gives the link up (the context went down, a send timed out).
    mutating func drop(discardingUnread: Bool, actions: inout [ModemAction]) {
        finish(beforeConnect: false, actions: &actions)
        if discardingUnread {
            unread.removeAll()
            readingPaused = false
        }
    }

    /// The one way a link ends: its socket closes at once, its timer stops, and it is closed.
    private mutating func finish(beforeConnect: Bool, actions: inout [ModemAction]) {
        if hasSocket { actions.append(.close(id, graceful: false)) }
        if let runningTimer { actions.append(.cancelTimer(runningTimer)) }
        phase = .closed(beforeConnect: beforeConnect)
    }

    // MARK: Data

    /// Hands bytes to the runtime for the socket; they count against the send buffer until the
    /// runtime reports them sent. Returns the send buffer's total after them.
    @discardableResult
    mutating func transmit(_ data: [UInt8], actions: inout [ModemAction]) -> UInt64 {
        queuedTotal += UInt64(data.count)
        actions.append(.send(id, data))
        return queuedTotal
    }

    /// The network took `count` more bytes.
    mutating func sent(_ count: Int) {
        sentTotal = min(queuedTotal, sentTotal + UInt64(count))
    }

    /// Keeps received bytes for `AT+CIPRXGET`, up to `limit`: a TCP link stops reading its socket
    /// when full, a UDP datagram that does not fit is dropped. Returns whether the bytes were kept
    /// into an empty buffer (the host is told that data waits).
    mutating func keep(_ bytes: [UInt8], limit: Int, actions: inout [ModemAction]) -> Bool {
        if transport == .udp, unread.count + bytes.count > limit { return false }
        let wasEmpty = unread.isEmpty
        unread.append(contentsOf: bytes)
        if transport == .tcp, unread.count >= limit, !readingPaused {
            readingPaused = true
            actions.append(.pauseReading(id))
        }
        return wasEmpty
    }

    /// Takes up to `count` unread bytes for `AT+CIPRXGET=2/3`.
    mutating func read(upTo count: Int) -> [UInt8] {
        let data = Array(unread.prefix(count))
        unread.removeFirst(data.count)
        return data
    }

    /// After a read: a paused link reads again below half of `limit` (`true`: resume its socket).
    mutating func resumeIfDrained(limit: Int) -> Bool {
        guard readingPaused, unread.count <= limit / 2 else { return false }
        readingPaused = false
        return true
    }

    /// After a read: a link whose peer closed while data was unread is closed once the data is
    /// gone (`true`: announce `CLOSED`).
    mutating func closeIfRead() -> Bool {
        guard phase == .remoteClosing, unread.isEmpty else { return false }
        phase = .closed(beforeConnect: false)
        return true
    }
}
