import Foundation
import ModemCore
import ModemProtocol

/// A request on the control socket: one JSON object per line, e.g.
/// `{"command":"remote-close","arguments":["0"]}` or `{"command":"status","modem":2}`.
///
/// Commands: `status`, `pdp-deact`, `fail-activation on|off`, `refuse-connects on|off`,
/// `remote-close <n>`, `reset`, `noise <bytes>`, `network <preset|key=value...>`, `registration on|off`,
/// `signal <rssi>`, `scenario <JSON text>`. `modem` picks one of `--count` modems (default 0).
public struct ControlRequest: Codable, Sendable, Equatable {
    /// The command word, e.g. `status`, `pdp-deact`, `remote-close`.
    public var command: String
    /// The command's arguments as text, e.g. `["0"]` for `remote-close 0`.
    public var arguments: [String]
    /// Which of the `--count` modems (default 0).
    public var modem: Int?

    /// A request for `command` with its arguments, to modem `modem` (0 when `nil`).
    public init(command: String, arguments: [String] = [], modem: Int? = nil) {
        self.command = command
        self.arguments = arguments
        self.modem = modem
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        command = try container.decode(String.self, forKey: .command)
        arguments = try container.decodeIfPresent([String].self, forKey: .arguments) ?? []
        modem = try container.decodeIfPresent(Int.self, forKey: .modem)
    }
}

/// The answer to a ``ControlRequest``: `{"ok":true,…}` or `{"ok":false,"error":"…"}`.
public struct ControlReply: Codable, Sendable, Equatable {
    /// Whether the command was carried out.
    public var ok: Bool
    /// Why not, when `ok` is false.
    public var error: String?
    /// The modem's state, for `status`.
    public var status: StatusReport?
    /// `network`: the profile now in force.
    public var network: String?

    public init(ok: Bool, error: String? = nil, status: StatusReport? = nil, network: String? = nil) {
        self.ok = ok
        self.error = error
        self.status = status
        self.network = network
    }

    /// A refusal with its reason.
    public static func failure(_ message: String) -> ControlReply { ControlReply(ok: false, error: message) }
}

/// A modem's state as `status` reports it, built from the core's ``ModemCore/ModemSnapshot``:
/// `connection` is exactly what `AT+CIPSTATUS` reports, in the schema of `modem status --json`
/// (docs/status-json.md); the other fields are what only the emulator knows.
public struct StatusReport: Codable, Sendable, Equatable {
    public var modem: Int
    /// Which module of the family it emulates (`--model`): `sim800`, `sim800c`, `sim808`, `sim868`, `sim900`.
    public var model: String
    /// The state and links `AT+CIPSTATUS` reports.
    public var connection: StatusDocument
    /// Unread bytes per link in `AT+CIPRXGET=1` mode, one per link of the model (six, or eight on a SIM900).
    public var unreadBytes: [Int]
    public var localAddress: String?
    public var apn: String
    public var busy: Bool
    public var echo: Bool
    public var failActivation: Bool
    public var refuseConnects: Bool
    /// The network links meet (``NetworkProfile``), as text.
    public var network: String?

    init(
        modem: Int, model: ModuleFamily, snapshot: ModemSnapshot, failActivation: Bool, refuseConnects: Bool,
        network: String? = nil
    ) {
        self.modem = modem
        self.model = model.rawValue
        connection = StatusDocument(snapshot.status)
        unreadBytes = snapshot.unreadBytes
        localAddress = snapshot.localAddress
        apn = snapshot.apn
        busy = snapshot.isBusy
        echo = snapshot.settings.echo
        self.failActivation = failActivation
        self.refuseConnects = refuseConnects
        self.network = network
    }
}

/// Carries out control requests on a set of modems: the control socket's and the HTTP API's.
public struct ControlDispatcher: Sendable {
    let modems: [VirtualModem]

    /// The command words it knows.
    public static let commands = [
        "status", "pdp-deact", "fail-activation", "refuse-connects", "remote-close", "reset", "noise", "network",
        "registration", "signal", "scenario",
    ]

    /// How many modems it serves.
    public var count: Int { modems.count }

    /// A dispatcher for `modems`, in `--count` order.
    public init(modems: [VirtualModem]) {
        self.modems = modems
    }

    func handle(line: [UInt8]) async -> [UInt8] {
        let reply: ControlReply
        do {
            let request = try JSONDecoder().decode(ControlRequest.self, from: Data(line))
            reply = await handle(request)
        } catch {
            reply = .failure("not a JSON request object: \(error)")
        }
        return ControlCoding.encode(reply)
    }

    /// Carries out `request` (`modem` picks the modem) and answers as the control socket does.
    public func handle(_ request: ControlRequest) async -> ControlReply {
        let index = request.modem ?? 0
        guard modems.indices.contains(index) else { return .failure(EmulatorError.noSuchModem(index).description) }
        let modem = modems[index]
        let arguments = request.arguments
        do {
            switch request.command {
            case "status":
                return ControlReply(ok: true, status: try await modem.statusReport())
            case "pdp-deact":
                try await modem.deactivateContext()
            case "fail-activation":
                guard let on = Self.flag(arguments) else { return .failure("usage: fail-activation on|off") }
                try await modem.setFailActivation(on)
            case "refuse-connects":
                guard let on = Self.flag(arguments) else { return .failure("usage: refuse-connects on|off") }
                try await modem.setRefuseConnects(on)
            case "remote-close":
                guard arguments.count == 1, let number = Int(arguments[0]) else {
                    return .failure("usage: remote-close <link number>")
                }
                try await modem.closeFromNetwork(link: number)
            case "reset":
                try await modem.reset()
            case "network":
                guard !arguments.isEmpty else {
                    return .failure("usage: network <preset|key=value...> (keys: preset, up, down, delay, loss)")
                }
                var profile = try await modem.network()
                for setting in arguments {
                    do {
                        try profile.apply(setting)
                    } catch {
                        return .failure(error.description)
                    }
                }
                try await modem.setNetwork(profile)
                modem.live?.faultInjected(request.command)
                return ControlReply(ok: true, network: profile.description)
            case "registration":
                guard let on = Self.flag(arguments) else { return .failure("usage: registration on|off") }
                try await modem.setRegistered(on)
            case "signal":
                guard arguments.count == 1, let rssi = Int(arguments[0]), (0...31).contains(rssi) || rssi == 99 else {
                    return .failure("usage: signal <rssi 0-31, or 99 for unknown>")
                }
                try await modem.setSignal(rssi: rssi)
            case "scenario":
                guard arguments.count == 1 else { return .failure("usage: scenario <scenario JSON text>") }
                do {
                    try await modem.play(try Scenario.parse(arguments[0]))
                } catch let error as ScenarioError {
                    return .failure("scenario rejected: \(error)")
                }
            case "noise":
                guard arguments.count == 1, let count = Int(arguments[0]), (0...65536).contains(count) else {
                    return .failure("usage: noise <bytes 0-65536>")
                }
                try await modem.injectNoise(count: count)
            default:
                return .failure(
                    "unknown command '\(request.command)'; known: \(Self.commands.joined(separator: ", "))")
            }
            modem.live?.faultInjected(request.command)
            return ControlReply(ok: true)
        } catch {
            return .failure("\(error)")
        }
    }

    private static func flag(_ arguments: [String]) -> Bool? {
        guard arguments.count == 1 else { return nil }
        switch arguments[0].lowercased() {
        case "on", "1", "true": return true
        case "off", "0", "false": return false
        default: return nil
        }
    }
}

enum ControlCoding {
    /// One JSON object and a newline.
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var bytes = (try? Array(encoder.encode(value))) ?? Array(#"{"ok":false,"error":"encoding failed"}"#.utf8)
        bytes.append(0x0A)
        return bytes
    }
}

extension VirtualModem {
    /// The modem's state as the control socket reports it.
    public func statusReport() async throws -> StatusReport {
        let snapshot = try await snapshot()
        let faults = try await faults()
        return StatusReport(
            modem: index, model: configuration.modem.model, snapshot: snapshot, failActivation: faults.failActivation,
            refuseConnects: faults.refuseConnects, network: try await network().description)
    }
}
