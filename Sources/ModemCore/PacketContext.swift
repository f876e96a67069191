import ModemProtocol

/// The GPRS bearer behind the TCP/IP application: APN, PDP context activation and the local
/// address (SIM800 manual §8.2.9–8.2.11 `AT+CSTT`, `AT+CIICR`, `AT+CIFSR`).
struct PacketContext: Equatable, Sendable {
    enum Stage: Equatable, Sendable {
        /// `IP INITIAL`.
        case initial
        /// `IP START`: the APN is set.
        case started
        /// `IP CONFIG`: activation in progress.
        case activating
        /// `IP CONFIG` after the network refused activation; only `AT+CIPSHUT` leaves it.
        case activationFailed
        /// `IP GPRSACT`; `IP STATUS` once the host asked for the address.
        case active(addressShown: Bool)
        /// `PDP DEACT`: the network released the context.
        case deactivated
    }

    var stage: Stage = .initial
    var apn = ""
    var user = ""
    var password = ""
    var localAddress: String?
    /// GPRS attach (`AT+CGATT`).
    var attached = true

    init(attached: Bool = true) {
        self.attached = attached
    }

    var isActive: Bool {
        if case .active = stage { return true }
        return false
    }

    var isActiveOrActivating: Bool { isActive || stage == .activating }
}

/// Settings a host changes with AT commands; all return to these values on reset.
public struct Settings: Equatable, Sendable {
    /// `ATE`
    public var echo: Bool
    /// `ATV` and `AT+CMEE`.
    public var formatter = ResponseFormatter()
    /// `AT+CIPMUX`
    public var multiConnection = false
    /// `AT+CIPQSEND`: `DATA ACCEPT` instead of `SEND OK`.
    public var quickSend = false
    /// `AT+CIPRXGET=1`: received data waits for `AT+CIPRXGET=2/3`.
    public var manualReceive = false
    /// `AT+CIPHEAD`: `+IPD,<len>:` before received data in single mode.
    public var receiveHeader = false
    /// `AT+CIPSRIP`: `RECV FROM:<ip>:<port>` before received data.
    public var showRemoteAddress = false
    /// `AT+CIPSPRT`: the send prompt (1: `> ` and `SEND OK`, 0: no prompt, 2: no prompt and no `SEND OK`).
    public var sendPrompt = 1
    /// `AT+CIPSGTXT`: the bearer new links use.
    public var bearer = 0
    /// `AT+CDNSCFG`
    public var primaryDNS = "0.0.0.0"
    public var secondaryDNS = "0.0.0.0"
    /// `AT+CSCS`
    public var characterSet = "IRA"
    /// `AT+CIPMODE`: transparent mode.
    public var transparent = false
    /// `AT+CIPCCFG`: retries, wait time, send size, escape enabled, rx mode, rx size, rx timer.
    public var transparentConfiguration = [5, 2, 1024, 1, 0, 1460, 50]
    /// Settings that only need to be read back (`AT+IPR`, `AT+IFC`, `AT+CLTS`, …), by command name.
    public var misc: [String: Int] = [:]

    init(echo: Bool) {
        self.echo = echo
    }
}

/// The radio side: functionality level, network registration and signal.
public struct RadioState: Equatable, Sendable {
    /// `AT+CFUN`: 0 minimum, 1 full, 4 flight mode.
    public var functionality = 1
    /// Whether the network accepts the module (when the radio is on).
    public var networkAvailable = true
    /// `AT+CSQ` RSSI, 0–31, 99 unknown.
    public var signalQuality: Int
    /// `AT+CREG=<n>` and `AT+CGREG=<n>`: 0 no URC, 1 `+CREG: <stat>`, 2 with location.
    public var registrationReports = 0
    public var gprsRegistrationReports = 0

    init(signalQuality: Int) {
        self.signalQuality = signalQuality
    }

    /// Registered (home network) when the radio is on and the network is there.
    public var registered: Bool { functionality == 1 && networkAvailable }
    /// `<stat>` of `+CREG`: 1 registered (home), 2 searching, 0 not searching.
    public var registrationStatus: Int { registered ? 1 : (functionality == 1 ? 2 : 0) }
}

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
                if server?.listening == true { return .serverListening }
                if beforeConnect { return .ipClose }
                return udp ? .udpClosed : .tcpClosed
            }
        }
        if server?.listening == true { return .serverListening }
        return stageState.single
    }

    var multiState: MultiConnectionState {
        if context.stage == .deactivated { return .pdpDeact }
        if server != nil || links.contains(where: { $0?.phase.isActive == true }) { return .ipProcessing }
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

    var serverStatus: ServerStatus? {
        guard let server, server.listening else { return nil }
        return ServerStatus(bearer: server.bearer, port: server.port)
    }

    /// The status of links 0–5 in order, without building an array.
    var linkStatuses: LinkStatuses { LinkStatuses(links: links) }

    func linkStatus(_ number: Int) -> LinkStatus {
        guard let link = links[number] else { return .unused(number) }
        var status = link.status
        status.number = number
        return status
    }
}

/// The links of a modem as `AT+CIPSTATUS` reports them, read in place.
struct LinkStatuses: Sequence {
    let links: [Link?]

    func makeIterator() -> Iterator { Iterator(links: links) }

    struct Iterator: IteratorProtocol {
        let links: [Link?]
        var number = 0

        mutating func next() -> LinkStatus? {
            guard number < links.count else { return nil }
            defer { number += 1 }
            guard let link = links[number] else { return .unused(number) }
            var status = link.status
            status.number = number
            return status
        }
    }
}
