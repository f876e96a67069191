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

    private(set) var stage: Stage = .initial
    private(set) var apn = ""
    private(set) var user = ""
    private(set) var password = ""
    private(set) var localAddress: String?
    /// GPRS attach (`AT+CGATT`).
    private(set) var attached = true

    var isActive: Bool {
        if case .active = stage { return true }
        return false
    }

    var isActiveOrActivating: Bool { isActive || stage == .activating }

    /// `AT+CSTT`: the APN and credentials; `IP START`.
    mutating func configure(apn: String, user: String = "", password: String = "") {
        self.apn = apn
        self.user = user
        self.password = password
        stage = .started
    }

    /// `AT+CGATT`.
    mutating func setAttached(_ attached: Bool) {
        self.attached = attached
    }

    /// Asks the network for the context, with `AT+CIICR`'s time limit; `IP CONFIG` until it answers.
    mutating func activate(timeout: Duration, actions: inout [ModemAction]) {
        stage = .activating
        actions.append(.activateContext(apn: apn, user: user, password: password))
        actions.append(.startTimer(.activation, after: timeout))
    }

    /// The network activated the context; `false` when no activation was waiting.
    mutating func activated(localAddress: String, actions: inout [ModemAction]) -> Bool {
        guard stage == .activating else { return false }
        actions.append(.cancelTimer(.activation))
        self.localAddress = localAddress
        stage = .active(addressShown: false)
        return true
    }

    /// The host learned the address (`AT+CIFSR`, or `AT+CIPSTART` brought the context up): `IP STATUS`.
    mutating func showAddress() {
        guard isActive else { return }
        stage = .active(addressShown: true)
    }

    /// The network refused (or did not answer) the activation; `false` when none was waiting.
    mutating func activationFailed(actions: inout [ModemAction]) -> Bool {
        guard stage == .activating else { return false }
        actions.append(.cancelTimer(.activation))
        stage = .activationFailed
        return true
    }

    /// The context went down (the network released it, the radio went off): `PDP DEACT`.
    mutating func lost() {
        stage = .deactivated
        localAddress = nil
    }

    /// `AT+CIPSHUT` or a reset: the context is released and forgotten, `IP INITIAL`.
    mutating func shut(actions: inout [ModemAction]) {
        if isActiveOrActivating { actions.append(.deactivateContext) }
        if stage == .activating { actions.append(.cancelTimer(.activation)) }
        forget()
    }

    /// Back to `IP INITIAL` without a word to the network (nothing of the context is up).
    mutating func forget() {
        self = PacketContext(attachedTo: attached)
    }

    private init(attachedTo attached: Bool) {
        self.attached = attached
    }

    init() {}
}
