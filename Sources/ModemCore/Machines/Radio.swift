/// The radio side: functionality level, network registration and signal.
public struct RadioState: Equatable, Sendable {
    /// `AT+CFUN`: 0 minimum, 1 full, 4 flight mode.
    public private(set) var functionality = 1
    /// Whether the network accepts the module (when the radio is on).
    public private(set) var networkAvailable = true
    /// `AT+CSQ` RSSI, 0–31, 99 unknown.
    public private(set) var signalQuality: Int
    /// `AT+CREG=<n>` and `AT+CGREG=<n>`: 0 no URC, 1 `+CREG: <stat>`, 2 with location.
    public private(set) var registrationReports = 0
    public private(set) var gprsRegistrationReports = 0
    /// The SIM answers (after `+CPIN: READY` at power-up).
    public private(set) var simReady = true
    /// SMS commands work (after `SMS Ready` at power-up).
    public private(set) var smsReady = true
    /// Still searching for the network after a power-up.
    public private(set) var searching = false

    init(signalQuality: Int) {
        self.signalQuality = signalQuality
    }

    /// The SIM answers: the radio is on and the power-up got as far as `+CPIN: READY`.
    public var simAnswers: Bool { functionality == 1 && simReady }

    /// Registered (home network) when the radio is on and the network is there.
    public var registered: Bool { functionality == 1 && networkAvailable && !searching }
    /// `<stat>` of `+CREG`: 1 registered (home), 2 searching, 0 not searching.
    public var registrationStatus: Int { registered ? 1 : (functionality == 1 ? 2 : 0) }

    /// A reboot: full functionality, reports off, the signal back to `signalQuality`; the SIM
    /// not ready and the network being searched for until the power-up's steps say otherwise.
    mutating func reboot(signalQuality: Int) {
        let networkAvailable = networkAvailable
        self = RadioState(signalQuality: signalQuality)
        self.networkAvailable = networkAvailable
        simReady = false
        smsReady = false
        searching = true
    }

    /// Power-up: the SIM answers.
    mutating func simBecameReady() {
        simReady = true
    }

    /// Power-up: SMS commands work.
    mutating func smsBecameReady() {
        smsReady = true
    }

    /// Power-up: the search for the network is over; `true` when that changed the registration.
    mutating func searchFinished() -> Bool {
        guard searching else { return false }
        searching = false
        return registered
    }

    /// `AT+CFUN=<fun>`; `true` when the level changed.
    mutating func setFunctionality(_ level: Int) -> Bool {
        guard level != functionality else { return false }
        functionality = level
        return true
    }

    /// The network accepts the module again, or no longer; `true` when that changed.
    mutating func setNetworkAvailable(_ available: Bool) -> Bool {
        guard available != networkAvailable else { return false }
        networkAvailable = available
        return true
    }

    /// The signal changed; a value outside 0–31 is unknown (99).
    mutating func setSignal(rssi: Int) {
        signalQuality = (0...31).contains(rssi) ? rssi : 99
    }

    /// `AT+CREG=<n>` (`gprs`: `AT+CGREG=<n>`).
    mutating func setRegistrationReports(_ mode: Int, gprs: Bool) {
        if gprs { gprsRegistrationReports = mode } else { registrationReports = mode }
    }
}
