import ModemCore
import ModemProtocol

/// Reading a scenario file: every field is checked before anything runs, and an error names its line.
extension Scenario {
    /// The changes an event may `do`.
    /// Link numbers a scenario may name: any model's (a SIM900 has 0–7); on a model with fewer,
    /// a change on a link it lacks finds no connection there.
    static let linkNumbers = 0...(ModuleFamily.maximumLinkCount - 1)

    static let actions = [
        "network", "pdp-drop", "remote-close", "refuse-connects", "fail-activation", "registration", "signal",
        "reset", "noise",
    ]

    /// The state words a `state` trigger may name: `AT+CIPSTATUS`'s in single and multi mode and the links'.
    static let stateWords: Set<String> = {
        let single: [SingleConnectionState] = [
            .ipInitial, .ipStart, .ipConfig, .ipGprsact, .ipStatus, .tcpConnecting, .udpConnecting, .serverListening,
            .connectOK, .tcpClosing, .udpClosing, .tcpClosed, .udpClosed, .pdpDeact, .ipClose,
        ]
        let multi: [MultiConnectionState] = [.ipProcessing]
        let client: [ClientState] = [.initial, .connecting, .connected, .remoteClosing, .closing, .closed]
        return Set(single.map(\.rawValue) + multi.map(\.rawValue) + client.map(\.rawValue))
    }()

    /// Reads and checks a scenario file.
    public static func load(path: String) throws(ScenarioError) -> Scenario {
        guard let text = readTextFile(path) else {
            throw ScenarioError(line: nil, reason: "cannot read the file")
        }
        return try parse(text)
    }

    /// Parses and checks a scenario; throws at the first problem, with its line.
    public static func parse(_ text: String) throws(ScenarioError) -> Scenario {
        let root = try JSONReader.parse(text)
        guard case .object(let members) = root.value else {
            throw ScenarioError(line: root.line, reason: "a scenario is a JSON object with an \"events\" array")
        }
        var seed: UInt64?
        var events: [Event]?
        for member in members {
            switch member.key {
            case "seed":
                // JSON numbers are doubles: above 2^53 a seed would silently change, so it is refused.
                guard case .number(let value) = member.value.value, value >= 0, value == value.rounded(),
                    value < 9_007_199_254_740_992
                else {
                    throw ScenarioError(line: member.line, reason: "\"seed\" must be a whole number from 0 to 2^53 - 1")
                }
                seed = UInt64(value)
            case "events":
                guard case .array(let items) = member.value.value else {
                    throw ScenarioError(line: member.line, reason: "\"events\" must be an array")
                }
                events = []
                for item in items { events!.append(try event(item)) }
            case "note", "description":
                continue
            default:
                throw ScenarioError(
                    line: member.line, reason: "unknown key \"\(member.key)\"; a scenario has \"seed\" and \"events\"")
            }
        }
        guard let events else { throw ScenarioError(line: root.line, reason: "missing \"events\" array") }
        return Scenario(seed: seed, events: events)
    }

    private static func event(_ item: JSONReader.Value) throws(ScenarioError) -> Event {
        guard case .object(let members) = item.value else {
            throw ScenarioError(line: item.line, reason: "an event is a JSON object")
        }
        let line = item.line
        var fields: [String: JSONReader.Member] = [:]
        let known: Set<String> = ["at", "after", "delay", "do", "set", "link", "on", "registered", "rssi", "bytes", "note"]
        for member in members {
            guard known.contains(member.key) else {
                throw ScenarioError(line: member.line, reason: "unknown key \"\(member.key)\" in an event")
            }
            guard fields[member.key] == nil else {
                throw ScenarioError(line: member.line, reason: "\"\(member.key)\" appears twice")
            }
            fields[member.key] = member
        }
        let trigger: Trigger
        var delay = Duration.zero
        switch (fields["at"], fields["after"]) {
        case (let at?, nil):
            if let extra = fields["delay"] {
                throw ScenarioError(line: extra.line, reason: "\"delay\" goes with \"after\"; with \"at\", give the time itself")
            }
            trigger = .at(try duration(at))
        case (nil, let after?):
            trigger = try self.trigger(after)
            if let member = fields["delay"] { delay = try duration(member) }
        case (.some, .some):
            throw ScenarioError(line: line, reason: "an event has either \"at\" or \"after\", not both")
        case (nil, nil):
            throw ScenarioError(line: line, reason: "an event needs \"at\" (a time) or \"after\" (an event)")
        }
        guard let action = fields["do"] else {
            throw ScenarioError(line: line, reason: "an event needs \"do\": one of \(actions.joined(separator: ", "))")
        }
        guard case .string(let name) = action.value.value else {
            throw ScenarioError(line: action.line, reason: "\"do\" must be a string")
        }
        let change: Change
        var used: Set<String> = ["at", "after", "delay", "do", "note"]
        switch name {
        case "network":
            used.insert("set")
            change = .network(try networkSettings(fields["set"], line: action.line))
        case "pdp-drop":
            change = .pdpDrop
        case "remote-close":
            used.insert("link")
            change = .remoteClose(link: try integer(fields["link"], "link", in: linkNumbers, line: line))
        case "refuse-connects", "fail-activation":
            used.insert("on")
            let on = try flag(fields["on"], "on", line: line)
            change = name == "refuse-connects" ? .refuseConnects(on) : .failActivation(on)
        case "registration":
            used.insert("registered")
            change = .registration(try flag(fields["registered"], "registered", line: line))
        case "signal":
            used.insert("rssi")
            let rssi = try integer(fields["rssi"], "rssi", in: 0...99, line: line)
            guard (0...31).contains(rssi) || rssi == 99 else {
                throw ScenarioError(line: fields["rssi"]!.line, reason: "\"rssi\" must be 0–31 or 99 (unknown)")
            }
            change = .signal(rssi: rssi)
        case "reset":
            change = .reset
        case "noise":
            used.insert("bytes")
            change = .noise(bytes: try integer(fields["bytes"], "bytes", in: 1...65536, line: line))
        default:
            throw ScenarioError(
                line: action.line, reason: "unknown action \"\(name)\"; known: \(actions.joined(separator: ", "))")
        }
        if let extra = fields.values.filter({ !used.contains($0.key) }).min(by: { $0.line < $1.line }) {
            throw ScenarioError(line: extra.line, reason: "\"\(extra.key)\" does not apply to \"\(name)\"")
        }
        return Event(line: line, trigger: trigger, delay: delay, change: change)
    }

    private static func trigger(_ member: JSONReader.Member) throws(ScenarioError) -> Trigger {
        let kinds = "\"command\", \"state\", \"sent\" or \"received\""
        guard case .object(let members) = member.value.value, members.count == 1, let only = members.first else {
            throw ScenarioError(line: member.line, reason: "\"after\" is an object with one of \(kinds)")
        }
        switch only.key {
        case "command":
            guard case .string(let text) = only.value.value, !text.isEmpty, text.utf8.count <= 556 else {
                throw ScenarioError(line: only.line, reason: "\"command\" must be the start of a command line, e.g. \"AT+CIPSEND\"")
            }
            return .command(text.uppercased())
        case "state":
            guard case .string(let word) = only.value.value, stateWords.contains(word) else {
                throw ScenarioError(
                    line: only.line,
                    reason: "\"state\" must be a state word of AT+CIPSTATUS: \(stateWords.sorted().joined(separator: ", "))")
            }
            return .state(word)
        case "sent", "received":
            guard case .object(let fields) = only.value.value else {
                throw ScenarioError(line: only.line, reason: "\"\(only.key)\" is {\"link\": 0-7, \"bytes\": N}")
            }
            var link: Int?
            var bytes: Int?
            for field in fields {
                switch field.key {
                case "link": link = try integer(field, "link", in: linkNumbers, line: field.line)
                case "bytes": bytes = try integer(field, "bytes", in: 1...Int(Int32.max), line: field.line)
                default: throw ScenarioError(line: field.line, reason: "unknown key \"\(field.key)\" in \"\(only.key)\"")
                }
            }
            guard let link, let bytes else {
                throw ScenarioError(line: only.line, reason: "\"\(only.key)\" needs \"link\" (0-7) and \"bytes\"")
            }
            return only.key == "sent" ? .sent(link: link, bytes: bytes) : .received(link: link, bytes: bytes)
        default:
            throw ScenarioError(line: only.line, reason: "unknown event \"\(only.key)\" in \"after\"; known: \(kinds)")
        }
    }

    private static func networkSettings(_ member: JSONReader.Member?, line: Int) throws(ScenarioError) -> [String] {
        guard let member else {
            throw ScenarioError(line: line, reason: "\"network\" needs \"set\": a preset name or {\"preset\", \"up\", \"down\", \"delay\", \"loss\"}")
        }
        var settings: [String] = []
        switch member.value.value {
        case .string(let preset):
            settings = ["preset=\(preset)"]
        case .object(let fields):
            // The preset first, so that single values given with it refine it.
            for field in fields.sorted(by: { ($0.key == "preset" ? 0 : 1) < ($1.key == "preset" ? 0 : 1) }) {
                let value: String
                switch field.value.value {
                case .string(let text): value = text
                case .number(let number):
                    // Whole numbers without a fraction ("40", not "40.0"); beyond 1e15, as Double writes them.
                    value = number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
                default: throw ScenarioError(line: field.line, reason: "\"\(field.key)\" must be a string or a number")
                }
                settings.append("\(field.key)=\(value)")
            }
        default:
            throw ScenarioError(line: member.line, reason: "\"set\" is a preset name or an object of settings")
        }
        var profile = NetworkProfile.ideal
        for setting in settings {
            do {
                try profile.apply(setting)
            } catch {
                throw ScenarioError(line: member.line, reason: error.description)
            }
        }
        return settings
    }

    private static func duration(_ member: JSONReader.Member) throws(ScenarioError) -> Duration {
        guard case .string(let text) = member.value.value else {
            throw ScenarioError(line: member.line, reason: "\"\(member.key)\" must be a duration string such as \"5s\" or \"250ms\"")
        }
        if text.trimmingPrefix(" ").hasPrefix("-") {
            throw ScenarioError(line: member.line, reason: "\"\(member.key)\" is negative (\(text)); times run forward from the start")
        }
        guard let value = DurationParser.parse(text), value <= .seconds(86_400) else {
            throw ScenarioError(line: member.line, reason: "\"\(member.key)\": '\(text)' is not a duration (250ms, 1.5s, 2m; at most a day)")
        }
        return value
    }

    private static func integer(
        _ member: JSONReader.Member?, _ key: String, in range: ClosedRange<Int>, line: Int
    ) throws(ScenarioError) -> Int {
        guard let member else { throw ScenarioError(line: line, reason: "missing \"\(key)\" (\(range.lowerBound)–\(range.upperBound))") }
        guard case .number(let value) = member.value.value, value == value.rounded(), value >= Double(range.lowerBound),
            value <= Double(range.upperBound)
        else {
            throw ScenarioError(line: member.line, reason: "\"\(key)\" must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(value)
    }

    private static func flag(_ member: JSONReader.Member?, _ key: String, line: Int) throws(ScenarioError) -> Bool {
        guard let member else { throw ScenarioError(line: line, reason: "missing \"\(key)\": true or false") }
        guard case .bool(let value) = member.value.value else {
            throw ScenarioError(line: member.line, reason: "\"\(key)\" must be true or false")
        }
        return value
    }
}
