import ModemProtocol

/// The TCP server of `AT+CIPSERVER` (SIM800 manual §8.2.19): closed, opening, or listening on a
/// port of a bearer.
struct ServerSocket: Equatable, Sendable {
    enum State: Equatable, Sendable {
        case closed
        /// `AT+CIPSERVER=1,<port>` asked the network; `SERVER OK` follows when it listens.
        case opening(port: Int, bearer: Int)
        case listening(port: Int, bearer: Int)
    }

    private(set) var state = State.closed

    /// Whether the server is open or opening.
    var isOpen: Bool { state != .closed }

    var isListening: Bool {
        if case .listening = state { return true }
        return false
    }

    /// The port and bearer of an open server.
    var endpoint: (port: Int, bearer: Int)? {
        switch state {
        case .closed: nil
        case .opening(let port, let bearer), .listening(let port, let bearer): (port, bearer)
        }
    }

    /// The `S:` line of `AT+CIPSTATUS`, while listening.
    var status: ServerStatus? {
        guard case .listening(let port, let bearer) = state else { return nil }
        return ServerStatus(bearer: bearer, port: port)
    }

    /// Asks the network to listen on `port`.
    mutating func open(port: Int, bearer: Int, actions: inout [ModemAction]) {
        state = .opening(port: port, bearer: bearer)
        actions.append(.listen(port: port))
    }

    /// The network listens; `true` when that is news (`SERVER OK`).
    mutating func listening(port: Int) -> Bool {
        guard case .opening(port, let bearer) = state else { return false }
        state = .listening(port: port, bearer: bearer)
        return true
    }

    /// The network could not listen; `true` when the server was on that port (`SERVER CLOSE`).
    mutating func listenFailed(port: Int) -> Bool {
        guard endpoint?.port == port else { return false }
        state = .closed
        return true
    }

    /// Stops listening; open links stay.
    mutating func close(actions: inout [ModemAction]) {
        guard isOpen else { return }
        actions.append(.stopListening)
        state = .closed
    }
}
