import ModemProtocol

/// One bearer profile of `AT+SAPBR` (SIM800 manual §9.2.1), used by the HTTP/FTP path and by
/// drivers that check the bearer before TCP/IP work.
public struct BearerProfile: Equatable, Sendable {
    /// `<Status>` of `AT+SAPBR=2,<cid>`.
    public enum Status: Int, Equatable, Sendable {
        case connecting = 0, connected = 1, closing = 2, closed = 3
    }

    /// CONTYPE, APN, USER, PWD, PHONENUM, RATE, by upper-case tag.
    public internal(set) var parameters: [String: String] = [
        "CONTYPE": "GPRS", "APN": "", "USER": "", "PWD": "", "PHONENUM": "", "RATE": "2",
    ]
    public internal(set) var status = Status.closed
    public internal(set) var address = "0.0.0.0"

    static let tags = ["CONTYPE", "APN", "PHONENUM", "USER", "PWD", "RATE"]
}

/// The `AT+SAPBR` bearer profiles that have been configured or opened.
struct BearerProfiles: Equatable, Sendable {
    /// Bearer profiles 1–3.
    static let numbers = 1...3

    private(set) var profiles: [Int: BearerProfile] = [:]

    /// Profile `number`, with its defaults when it was never touched.
    subscript(number: Int) -> BearerProfile { profiles[number] ?? BearerProfile() }

    /// `AT+SAPBR=3,<cid>,<tag>,<value>`.
    mutating func set(_ tag: String, to value: String, profile number: Int) {
        var profile = self[number]
        profile.parameters[tag] = value
        profiles[number] = profile
    }

    /// `AT+SAPBR=1,<cid>`: asks the network to open the profile, with a time limit.
    mutating func open(_ number: Int, timeout: Duration, actions: inout [ModemAction]) {
        var profile = self[number]
        profile.status = .connecting
        profiles[number] = profile
        actions.append(.activateBearer(profile: number, apn: profile.parameters["APN"] ?? ""))
        actions.append(.startTimer(.bearerActivation(profile: number), after: timeout))
    }

    /// The network opened the profile.
    mutating func opened(_ number: Int, localAddress: String, actions: inout [ModemAction]) {
        actions.append(.cancelTimer(.bearerActivation(profile: number)))
        profiles[number]?.status = .connected
        profiles[number]?.address = localAddress
    }

    /// The network refused (or did not answer) the opening.
    mutating func openFailed(_ number: Int, actions: inout [ModemAction]) {
        actions.append(.cancelTimer(.bearerActivation(profile: number)))
        profiles[number]?.status = .closed
    }

    /// `AT+SAPBR=0,<cid>`.
    mutating func close(_ number: Int, actions: inout [ModemAction]) {
        var profile = self[number]
        profile.status = .closed
        profile.address = "0.0.0.0"
        profiles[number] = profile
        actions.append(.deactivateBearer(profile: number))
    }

    /// The packet domain went down: every open profile closes. Returns their numbers, in order.
    mutating func lost(actions: inout [ModemAction]) -> [Int] {
        let open = profiles.keys.sorted().filter { profiles[$0]?.status == .connected }
        for number in open { close(number, actions: &actions) }
        return open
    }

    /// A reset: open profiles close and every profile is forgotten.
    mutating func reset(actions: inout [ModemAction]) {
        _ = lost(actions: &actions)
        profiles = [:]
    }
}
