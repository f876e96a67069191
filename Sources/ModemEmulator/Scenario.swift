import ModemCore
import ModemProtocol

/// A declarative timeline of network changes and faults (`--scenario FILE`, `modem ctl scenario`).
///
/// A JSON object: `{"seed": 7, "events": [ ... ]}`. Each event fires once, at a time after the
/// scenario starts (`"at": "5s"`) or a delay after something happens (`"after": {...}, "delay": "2s"`),
/// and applies one change (`"do": ...`). The reference, with worked examples, is `docs/network.md`.
/// ``parse(_:)`` checks everything before anything runs; an error names the line and the reason.
public struct Scenario: Sendable, Equatable {
    /// Reseeds the emulator's random choices when the scenario starts.
    public var seed: UInt64?
    public var events: [Event]

    public struct Event: Sendable, Equatable {
        /// The line of the file where the event starts.
        public var line: Int
        public var trigger: Trigger
        /// Time between the trigger and the change (0 for `at`).
        public var delay: Duration
        public var change: Change

        public init(line: Int, trigger: Trigger, delay: Duration = .zero, change: Change) {
            self.line = line
            self.trigger = trigger
            self.delay = delay
            self.change = change
        }
    }

    public enum Trigger: Sendable, Equatable {
        /// This long after the scenario started.
        case at(Duration)
        /// The host wrote a command line that starts with this text (compared in upper case).
        case command(String)
        /// `AT+CIPSTATUS` would report this state word: the modem's, or any link's in multi mode.
        case state(String)
        /// The modem has sent at least `bytes` on link `link` since the scenario started.
        case sent(link: Int, bytes: Int)
        /// The modem has received at least `bytes` on link `link` since the scenario started.
        case received(link: Int, bytes: Int)
    }

    public enum Change: Sendable, Equatable {
        /// Network settings applied in order (`preset=gprs`, `delay=300:900`, ...; see ``NetworkProfile/apply(_:)``).
        case network([String])
        /// The network drops the PDP context (`+PDP: DEACT`).
        case pdpDrop
        /// The peer of link `n` closes.
        case remoteClose(link: Int)
        case refuseConnects(Bool)
        case failActivation(Bool)
        /// Network registration lost (`false`) or regained (`+CREG`/`+CGREG` URCs when enabled).
        case registration(Bool)
        /// The signal quality (`AT+CSQ` RSSI 0–31, 99 unknown) changes.
        case signal(rssi: Int)
        /// The module reboots.
        case reset
        /// Random bytes on the serial line.
        case noise(bytes: Int)
    }

    public init(seed: UInt64? = nil, events: [Event]) {
        self.seed = seed
        self.events = events
    }

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
            change = .remoteClose(link: try integer(fields["link"], "link", in: 0...(Modem.linkCount - 1), line: line))
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
                throw ScenarioError(line: only.line, reason: "\"\(only.key)\" is {\"link\": 0-5, \"bytes\": N}")
            }
            var link: Int?
            var bytes: Int?
            for field in fields {
                switch field.key {
                case "link": link = try integer(field, "link", in: 0...(Modem.linkCount - 1), line: field.line)
                case "bytes": bytes = try integer(field, "bytes", in: 1...Int(Int32.max), line: field.line)
                default: throw ScenarioError(line: field.line, reason: "unknown key \"\(field.key)\" in \"\(only.key)\"")
                }
            }
            guard let link, let bytes else {
                throw ScenarioError(line: only.line, reason: "\"\(only.key)\" needs \"link\" (0-5) and \"bytes\"")
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

/// Why a scenario was rejected: the line (1-based) and what was wrong.
public struct ScenarioError: Error, Equatable, CustomStringConvertible {
    public var line: Int?
    public var reason: String

    public var description: String {
        line.map { "line \($0): \(reason)" } ?? reason
    }
}

/// A small JSON reader that keeps the line of every value, so a scenario's errors can name it.
enum JSONReader {
    indirect enum Kind: Equatable {
        case object([Member])
        case array([Value])
        case string(String)
        case number(Double)
        case bool(Bool)
        case null
    }

    struct Value: Equatable {
        var value: Kind
        var line: Int
    }

    struct Member: Equatable {
        var key: String
        var value: Value
        /// The line of the key.
        var line: Int
    }

    static let maximumDepth = 32

    static func parse(_ text: String) throws(ScenarioError) -> Value {
        var reader = Cursor(bytes: Array(text.utf8))
        reader.skipSpace()
        guard !reader.atEnd else { throw ScenarioError(line: 1, reason: "the file is empty") }
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.atEnd else { throw reader.error("unexpected text after the end of the JSON value") }
        return value
    }

    struct Cursor {
        let bytes: [UInt8]
        var index = 0
        var line = 1

        var atEnd: Bool { index >= bytes.count }

        func error(_ reason: String) -> ScenarioError { ScenarioError(line: line, reason: "JSON syntax: \(reason)") }

        mutating func skipSpace() {
            while !atEnd {
                switch bytes[index] {
                case 0x0A:
                    line += 1
                    index += 1
                case 0x20, 0x09, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func expect(_ byte: UInt8) throws(ScenarioError) {
            skipSpace()
            guard !atEnd, bytes[index] == byte else {
                throw error("expected '\(Character(Unicode.Scalar(byte)))'\(atEnd ? " before the end of the file" : "")")
            }
            index += 1
        }

        mutating func value(depth: Int) throws(ScenarioError) -> Value {
            guard depth < JSONReader.maximumDepth else { throw error("nested too deeply") }
            skipSpace()
            guard !atEnd else { throw error("a value is missing before the end of the file") }
            let start = line
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var members: [Member] = []
                skipSpace()
                if !atEnd, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return Value(value: .object(members), line: start)
                }
                while true {
                    skipSpace()
                    let keyLine = line
                    guard !atEnd, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
                    let key = try string()
                    try expect(UInt8(ascii: ":"))
                    let value = try self.value(depth: depth + 1)
                    members.append(Member(key: key, value: value, line: keyLine))
                    skipSpace()
                    guard !atEnd else { throw error("expected ',' or '}' before the end of the file") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    guard bytes[index] == UInt8(ascii: "}") else { throw error("expected ',' or '}'") }
                    index += 1
                    return Value(value: .object(members), line: start)
                }
            case UInt8(ascii: "["):
                index += 1
                var items: [Value] = []
                skipSpace()
                if !atEnd, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return Value(value: .array(items), line: start)
                }
                while true {
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard !atEnd else { throw error("expected ',' or ']' before the end of the file") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    guard bytes[index] == UInt8(ascii: "]") else { throw error("expected ',' or ']'") }
                    index += 1
                    return Value(value: .array(items), line: start)
                }
            case UInt8(ascii: "\""):
                return Value(value: .string(try string()), line: start)
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                for (word, kind) in [("true", Kind.bool(true)), ("false", .bool(false)), ("null", .null)]
                where bytes[index...].starts(with: word.utf8) {
                    index += word.utf8.count
                    return Value(value: kind, line: start)
                }
                throw error("unknown word; expected true, false or null")
            default:
                let begin = index
                while !atEnd, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
                let text = String(decoding: bytes[begin..<index], as: UTF8.self)
                guard !text.isEmpty, let number = Double(text), number.isFinite else {
                    throw error(text.isEmpty ? "unexpected character '\(Character(Unicode.Scalar(bytes[begin])))'" : "'\(text)' is not a number")
                }
                return Value(value: .number(number), line: start)
            }
        }

        mutating func string() throws(ScenarioError) -> String {
            index += 1
            var out: [UInt8] = []
            while !atEnd {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard !atEnd else { break }
                    let escaped = bytes[index]
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                    default: throw error("unsupported escape '\\\(Character(Unicode.Scalar(escaped)))' in a string")
                    }
                case 0x0A, 0x0D:
                    throw error("a string is not closed before the end of the line")
                default:
                    out.append(byte)
                }
            }
            throw error("a string is not closed before the end of the file")
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The whole of a small text file, or `nil` when it cannot be read (at most 1 MiB).
func readTextFile(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while bytes.count <= 1 << 20 {
        let count = fread(&chunk, 1, chunk.count, file)
        if count <= 0 { break }
        bytes.append(contentsOf: chunk[..<count])
    }
    guard bytes.count <= 1 << 20, ferror(file) == 0 else { return nil }
    return String(decoding: bytes, as: UTF8.self)
}
