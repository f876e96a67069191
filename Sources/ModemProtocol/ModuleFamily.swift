/// The SIMCom modules of the SIM800 family whose TCP/IP application this project speaks, and what
/// differs between them in `AT+CIPSTATUS`.
public enum ModuleFamily: String, Sendable, CaseIterable {
    case sim800, sim800c, sim808, sim868, sim900

    /// How many links multi-connection mode has: 0–5 on the SIM800 series (SIM800 manual §8.2.8),
    /// 0–7 on the SIM900 (SIM900 manual §8.2.8).
    public var linkCount: Int {
        switch self {
        case .sim800, .sim800c, .sim808, .sim868: 6
        case .sim900: 8
        }
    }

    /// The most links any module of the family has.
    public static let maximumLinkCount = 8
}
