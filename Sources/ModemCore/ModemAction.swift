import ModemProtocol

/// Names one network connection (a TCP or UDP socket) for the lifetime of that socket.
///
/// A link number (0–5) is reused after a close; a connection id never is, so an event of a socket
/// that the modem already gave up on cannot be mistaken for one of its successor.
public struct ConnectionID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: ConnectionID, rhs: ConnectionID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "conn#\(rawValue)" }
}

/// A timer the modem asked its runtime to start. When it fires, the runtime calls
/// ``Modem/timerFired(_:)`` with the same value.
public enum ModemTimer: Hashable, Sendable {
    /// `AT+CIICR` gave up waiting for the network (SIM800: 85 s).
    case activation
    /// `AT+CIPSTART` gave up on a connection (SIM800: 75 s), then `CONNECT FAIL`.
    case connect(ConnectionID)
    /// A graceful `AT+CIPCLOSE` gave up waiting for the peer's close.
    case close(ConnectionID)
    /// `AT+CIPSEND` gave up waiting for the network to take its data (SIM800: 645 s).
    case send(ConnectionID)
    /// A pending `AT+CDNSGIP` gave up.
    case dnsQuery(UInt64)
    /// `AT+SAPBR=1,<cid>` gave up waiting for the network (manual: 85 s).
    case bearerActivation(profile: Int)
    /// A pending `AT+CIPPING` gave up.
    case ping(UInt64)
    /// Transparent mode: the guard time around `+++` (SIM800 manual §8.2.12 `AT+CIPCCFG`).
    case escapeGuard
    /// A command's result is due (``ResponseTimes``).
    case response
    /// The next step of a power-up is due (``ModemConfiguration/powerUp``).
    case powerUp
    /// An outgoing voice call was not answered (``ModemConfiguration/Timeouts/unansweredCall``).
    case callUnanswered
    /// `AT+HTTPDATA`'s time limit for the host to send the body.
    case httpData
}

/// Something the modem asks its runtime to do, besides writing to the serial line
/// (``ModemOutput/serial``). The runtime carries actions out in order.
public enum ModemAction: Equatable, Sendable {
    /// Activate the PDP context; answer with ``NetworkEvent/contextActivated(localAddress:)`` or
    /// ``NetworkEvent/contextActivationFailed``.
    case activateContext(apn: String, user: String, password: String)
    /// Release the PDP context (the host shut it down; no event is expected).
    case deactivateContext
    /// Open a socket to host:port; answer with ``NetworkEvent/connected(_:remoteAddress:)`` or
    /// ``NetworkEvent/connectFailed(_:)``.
    case connect(ConnectionID, TransportProtocol, host: String, port: Int)
    /// Send bytes on an open connection; answer with ``NetworkEvent/sent(_:count:)`` once the
    /// network has taken them (the socket accepted them), in the order they were sent.
    case send(ConnectionID, [UInt8])
    /// Close a connection: `graceful` half-closes and waits for the peer (answer with
    /// ``NetworkEvent/closed(_:)``); otherwise close at once, no event expected.
    case close(ConnectionID, graceful: Bool)
    /// Stop reading from a connection (the modem's receive buffer is full).
    case pauseReading(ConnectionID)
    /// Read from a connection again.
    case resumeReading(ConnectionID)
    /// Stop reading the serial line: the module's flow control when a link's send buffer is full
    /// in transparent mode (CTS off on a real module). Bytes already read stay queued in the modem.
    case stopHostInput
    /// Read the serial line again.
    case resumeHostInput
    /// Listen for TCP connections on a port; answer with ``NetworkEvent/listening(port:)`` or
    /// ``NetworkEvent/listenFailed(port:)``.
    case listen(port: Int)
    /// Stop listening (open connections stay).
    case stopListening
    /// Take an incoming connection the runtime announced with
    /// ``NetworkEvent/incomingConnection(token:address:port:)`` under the given id.
    case accept(token: UInt64, as: ConnectionID)
    /// Refuse an incoming connection (no free link).
    case reject(token: UInt64)
    /// Resolve a host name; answer with ``NetworkEvent/resolved(query:addresses:)``.
    case resolve(query: UInt64, host: String)
    /// Open bearer profile `profile` (`AT+SAPBR=1,<cid>`); answer with
    /// ``NetworkEvent/bearerActivated(profile:localAddress:)`` or ``NetworkEvent/bearerActivationFailed(profile:)``.
    case activateBearer(profile: Int, apn: String)
    /// Close bearer profile `profile` (no event expected).
    case deactivateBearer(profile: Int)
    /// Measure `count` round trips to `host` (`AT+CIPPING`), each waiting at most `timeout`; answer
    /// with ``NetworkEvent/pingCompleted(query:address:roundTrips:)``.
    case ping(query: UInt64, host: String, count: Int, timeout: Duration)
    /// The host sent this command line (only while ``Modem/reportsCommandLines`` is on): for
    /// observers such as scenario triggers; nothing needs to be done.
    case commandLine(String)
    /// Start (or restart) a timer.
    case startTimer(ModemTimer, after: Duration)
    /// Cancel a timer; firing it later is harmless but not needed.
    case cancelTimer(ModemTimer)
}

/// Something the network did.
public enum NetworkEvent: Equatable, Sendable {
    /// The PDP context is active with this local address.
    case contextActivated(localAddress: String)
    /// The network refused to activate the PDP context.
    case contextActivationFailed
    /// The network released the PDP context (`+PDP: DEACT`).
    case contextDeactivated
    /// A connection opened by ``ModemAction/connect(_:_:host:port:)`` is established.
    case connected(ConnectionID, remoteAddress: String)
    /// A connection could not be established (refused, unreachable, not allowed).
    case connectFailed(ConnectionID)
    /// The network took `count` more bytes of what ``ModemAction/send(_:_:)`` gave a connection.
    case sent(ConnectionID, count: Int)
    /// Bytes (a UDP datagram, or part of a TCP stream) arrived on a connection.
    case received(ConnectionID, [UInt8])
    /// The peer closed the connection (TCP FIN or reset).
    case remoteClosed(ConnectionID)
    /// A graceful close requested with ``ModemAction/close(_:graceful:)`` completed.
    case closed(ConnectionID)
    /// The server socket is listening.
    case listening(port: Int)
    /// The server socket could not listen.
    case listenFailed(port: Int)
    /// A peer connected to the server socket; the modem answers with accept or reject.
    case incomingConnection(token: UInt64, address: String, port: Int)
    /// The answer to ``ModemAction/resolve(query:host:)``; empty when the name does not resolve.
    case resolved(query: UInt64, addresses: [String])
    /// Bearer profile `profile` is open with this address.
    case bearerActivated(profile: Int, localAddress: String)
    /// The network refused to open bearer profile `profile`.
    case bearerActivationFailed(profile: Int)
    /// The answer to ``ModemAction/ping(query:host:count:timeout:)``: the address pinged (`nil`
    /// when the name does not resolve) and each attempt's round trip (`nil`: no reply in time).
    case pingCompleted(query: UInt64, address: String?, roundTrips: [Duration?])
    /// Network registration was lost (`false`) or regained (`true`).
    case registrationChanged(registered: Bool)
    /// The signal quality (`AT+CSQ` RSSI, 0–31, 99 unknown) changed.
    case signalChanged(rssi: Int)
}
