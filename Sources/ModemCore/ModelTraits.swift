import ModemProtocol

/// What each model of the family says about itself and how it powers up. Sources for every
/// value are in docs/compatibility.md ("Models").
extension ModuleFamily {
    /// `ATI`, `AT+CGMM` and `AT+CGMR` as the model prints them.
    public var identityTexts: (productInformation: String, model: String, revision: String) {
        switch self {
        case .sim800: ("SIM800 R14.18", "SIMCOM_SIM800L", "Revision:1418B04SIM800L24")
        case .sim800c: ("SIM800 R14.18", "SIMCOM_SIM800C", "Revision:1418B05SIM800C24")
        case .sim808: ("SIM808 R14.18", "SIMCOM_SIM808", "Revision:1418B04SIM808M32")
        case .sim868: ("SIM868 R14.18", "SIMCOM_SIM868", "Revision:1418B05SIM868M32_BT")
        case .sim900: ("SIM900 R11.0", "SIMCOM_SIM900", "Revision:1137B03SIM900M64_ST_MMS")
        }
    }

    /// Whether the model has the GNSS receiver and its commands (`AT+CGNS…`, `AT+CGPS…`): the
    /// SIM808 and SIM868 (SIM808 manual, GNSS application note); the others answer `ERROR`.
    public var hasGNSS: Bool {
        self == .sim808 || self == .sim868
    }

    /// Whether the model has the cell-location service `AT+CLBS` (SIM800 series GSM Location
    /// application note; the SIM900 has `AT+CIPGSMLOC` only).
    public var hasLocationService: Bool {
        self != .sim900
    }

    /// Whether the model announces `SMS Ready` after `Call Ready` when it boots.
    public var printsSMSReady: Bool {
        self != .sim900
    }

    /// How long this model takes from power-on to each boot message and to registration on a
    /// live network. The hardware designs give the UART (> 1.4 s after the power key, SIM800
    /// hardware design fig. 12); real logs give ≈ 5 s to `+CPIN: READY` and a few seconds of
    /// `+CREG: 0,2` after it; the rest are estimates (docs/compatibility.md, "Power-up").
    public var realisticPowerUp: PowerUpTiming {
        PowerUpTiming(
            uart: .milliseconds(1500), ready: .milliseconds(2500), functionality: .milliseconds(2600),
            sim: .milliseconds(4500), callReady: .milliseconds(6000), smsReady: .milliseconds(6100),
            registration: .milliseconds(9000))
    }
}

extension ModemIdentity {
    /// Takes `model`'s identity texts; the other values (IMEI, SIM, operator) stay.
    mutating func describe(_ model: ModuleFamily) {
        (productInformation, self.model, revision) = model.identityTexts
    }
}

/// When each step of a power-up comes, as time since power-on. All zero
/// (``PowerUpTiming/instant``): the whole sequence is written at once and the module is
/// registered at once.
public struct PowerUpTiming: Sendable, Equatable {
    /// The UART is up: commands are answered (the SIM's and SMS ones with errors until their
    /// step). Host bytes before it are lost.
    public var uart: Duration
    /// `RDY` (not with auto-bauding).
    public var ready: Duration
    /// `+CFUN: 1`.
    public var functionality: Duration
    /// `+CPIN: READY`: the SIM answers (before, its commands get `+CME ERROR: SIM busy`).
    public var sim: Duration
    /// `Call Ready`.
    public var callReady: Duration
    /// `SMS Ready` (on a model that prints it: ``ModuleFamily/printsSMSReady``): SMS commands work.
    public var smsReady: Duration
    /// Registered: `+CREG`/`+CGREG` go from 2 (searching) to 1, with URCs where enabled.
    public var registration: Duration

    public init(
        uart: Duration, ready: Duration, functionality: Duration, sim: Duration, callReady: Duration,
        smsReady: Duration, registration: Duration
    ) {
        self.uart = uart
        self.ready = ready
        self.functionality = functionality
        self.sim = sim
        self.callReady = callReady
        self.smsReady = smsReady
        self.registration = registration
    }

    /// Everything at once.
    public static let instant = PowerUpTiming(
        uart: .zero, ready: .zero, functionality: .zero, sim: .zero, callReady: .zero, smsReady: .zero,
        registration: .zero)

    /// Every time multiplied by `factor` (a test's shortened power-up).
    public func scaled(by factor: Double) -> PowerUpTiming {
        func scale(_ duration: Duration) -> Duration { duration * factor }
        return PowerUpTiming(
            uart: scale(uart), ready: scale(ready), functionality: scale(functionality), sim: scale(sim),
            callReady: scale(callReady), smsReady: scale(smsReady), registration: scale(registration))
    }
}
