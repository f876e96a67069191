/// The voice call (SIM800 manual §2.2.3 `ATD`, §3.2.16 `AT+CLCC`). The emulated network has no
/// other party: an outgoing call is dialled and alerts, nobody answers, and it ends when the host
/// hangs up or the network gives up.
struct VoiceCall: Equatable, Sendable {
    enum Phase: Equatable, Sendable {
        case idle
        /// `ATD<number>;` is alerting the called party.
        case alerting(number: String)
    }

    private(set) var phase = Phase.idle
    /// The number `ATDL` redials.
    private(set) var lastNumber: String?

    var inProgress: Bool { phase != .idle }

    /// `ATD<number>;`: an outgoing call starts; the network gives up after `timeout`.
    mutating func dial(_ number: String, timeout: Duration, actions: inout [ModemAction]) {
        phase = .alerting(number: number)
        lastNumber = number
        actions.append(.startTimer(.callUnanswered, after: timeout))
    }

    /// `ATH`, or the network released the call: `true` when there was one.
    mutating func end(actions: inout [ModemAction]) -> Bool {
        guard inProgress else { return false }
        phase = .idle
        actions.append(.cancelTimer(.callUnanswered))
        return true
    }
}
