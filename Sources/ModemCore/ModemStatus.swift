import ModemProtocol

/// Everything a host can observe of a modem.
public struct ModemSnapshot: Equatable, Sendable {
    /// What `AT+CIPSTATUS` reports.
    public var status: ConnectionStatus
    /// The local IP address once the context is active.
    public var localAddress: String?
    /// The APN set with `AT+CSTT`.
    public var apn: String
    /// The settings AT commands changed.
    public var settings: Settings
    /// Functionality, registration and signal.
    public var radio: RadioState
    /// Unread bytes per link in `AT+CIPRXGET=1` mode.
    public var unreadBytes: [Int]
    /// `AT+SAPBR` bearer profiles by id.
    public var bearers: [Int: BearerProfile]
    /// Whether a command is in progress.
    public var isBusy: Bool
}

/// The state words of `AT+CIPSTATUS`, derived from the machines (spec `CIPSTATUS.md`).
extension Modem {
    var singleState: SingleConnectionState {
        if context.stage == .deactivated { return .pdpDeact }
        if let link = links[0] {
            let udp = link.transport == .udp
            switch link.phase {
            case .connecting: return udp ? .udpConnecting : .tcpConnecting
            case .connected, .remoteClosing: return .connectOK
            case .closing: return udp ? .udpClosing : .tcpClosing
            case .closed(let beforeConnect):
                if server.isListening { return .serverListening }
                if beforeConnect { return .ipClose }
                return udp ? .udpClosed : .tcpClosed
            }
        }
        if server.isListening { return .serverListening }
        return stageState.single
    }

    var multiState: MultiConnectionState {
        if context.stage == .deactivated { return .pdpDeact }
        if server.isOpen || links.anyActive { return .ipProcessing }
        return stageState.multi
    }

    private var stageState: (single: SingleConnectionState, multi: MultiConnectionState) {
        switch context.stage {
        case .initial: (.ipInitial, .ipInitial)
        case .started: (.ipStart, .ipStart)
        case .activating, .activationFailed: (.ipConfig, .ipConfig)
        case .active(let shown): shown ? (.ipStatus, .ipStatus) : (.ipGprsact, .ipGprsact)
        case .deactivated: (.pdpDeact, .pdpDeact)
        }
    }

    /// Whether the TCP/IP application is in `IP INITIAL` with nothing open.
    var isInitial: Bool {
        context.stage == .initial && !server.isOpen && links.allUnused
    }
}
