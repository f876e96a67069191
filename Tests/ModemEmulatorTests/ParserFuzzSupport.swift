import Foundation
@testable import ModemEmulator
import TestSupport

// Generators, mutators and a canonical writer for the parser fuzz tests (ParserFuzzTests.swift).

extension SplitMix64 {
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }

    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    mutating func bytes(_ count: Int, from alphabet: [UInt8]? = nil) -> [UInt8] {
        (0..<count).map { _ in alphabet.map { pick($0) } ?? UInt8.random(in: 0...255, using: &self) }
    }
}

/// Random edits of a byte string: what a hand-edited, truncated or corrupted file looks like.
enum Mutator {
    /// Tokens a JSON file and a scenario are made of, and a few that stress number and duration parsing.
    static let tokens: [String] = [
        "{", "}", "[", "]", "\"", ",", ":", "\n", "\r\n", " ", "\t", "\\", "\\u0041", "\\n", "-", "0", "1", "-1", "6",
        "99", "1e999", "1e300", "-0", "0.5", "9999999999999999999999", "1.8e19", "true", "false", "null", "\"at\"",
        "\"after\"", "\"delay\"", "\"do\"", "\"set\"", "\"link\"", "\"bytes\"", "\"1e300s\"", "\"1e17ms\"", "\"-5s\"",
        "\"nan\"", "\"inf\"", "\"reset\"", "\"noise\"", "\"network\"", "\"gprs\"", "\"up\"", "\"loss\"", "\"2:1\"",
        "\"events\"", "\"seed\"", "\"state\"", "\"command\"", "\"sent\"", "\"received\"", "\u{00E9}", "\u{FFFD}",
    ]
    static let jsonAlphabet = Array("{}[]\":,0123456789.eE+-tfnrul \n\t\\abcdesz".utf8)

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<rng.int(1...3) {
            let position = bytes.isEmpty ? 0 : rng.int(0...bytes.count)
            switch rng.int(0...6) {
            case 0 where !bytes.isEmpty:  // delete a run
                let end = min(bytes.count, position + rng.int(1...8))
                bytes.removeSubrange(min(position, end)..<end)
            case 1:  // insert random bytes
                bytes.insert(contentsOf: rng.bytes(rng.int(1...4)), at: position)
            case 2 where !bytes.isEmpty:  // replace a byte
                bytes[min(position, bytes.count - 1)] = rng.chance(50) ? rng.pick(jsonAlphabet) : UInt8.random(in: 0...255, using: &rng)
            case 3:  // truncate
                bytes.removeSubrange(position...)
            case 4 where !bytes.isEmpty:  // duplicate a slice
                let end = min(bytes.count, position + rng.int(1...40))
                let start = min(position, end)
                bytes.insert(contentsOf: bytes[start..<end], at: rng.int(0...bytes.count))
            default:  // insert a token
                bytes.insert(contentsOf: Array(rng.pick(tokens).utf8), at: position)
            }
        }
        return bytes
    }
}

/// Writes a ``Scenario`` back as JSON, one event per line (event `i` on line `i + 2`), so that an
/// accepted scenario can be parsed again and compared.
enum ScenarioWriter {
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Exact: whole microseconds as decimal milliseconds.
    static func duration(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let microseconds = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        let fraction = String(microseconds % 1000)
        return "\(microseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)ms"
    }

    static func event(_ event: Scenario.Event) -> String {
        var fields: [String] = []
        switch event.trigger {
        case .at(let time): fields.append("\"at\": \(quote(duration(time)))")
        case .command(let text): fields.append("\"after\": {\"command\": \(quote(text))}")
        case .state(let word): fields.append("\"after\": {\"state\": \(quote(word))}")
        case .sent(let link, let bytes): fields.append("\"after\": {\"sent\": {\"link\": \(link), \"bytes\": \(bytes)}}")
        case .received(let link, let bytes):
            fields.append("\"after\": {\"received\": {\"bytes\": \(bytes), \"link\": \(link)}}")
        }
        if case .at = event.trigger {} else { fields.append("\"delay\": \(quote(duration(event.delay)))") }
        switch event.change {
        case .network(let settings):
            let members = settings.map { setting -> String in
                let equals = setting.firstIndex(of: "=")!
                return "\(quote(String(setting[..<equals]))): \(quote(String(setting[setting.index(after: equals)...])))"
            }
            fields.append("\"do\": \"network\", \"set\": {\(members.joined(separator: ", "))}")
        case .pdpDrop: fields.append("\"do\": \"pdp-drop\"")
        case .remoteClose(let link): fields.append("\"do\": \"remote-close\", \"link\": \(link)")
        case .refuseConnects(let on): fields.append("\"do\": \"refuse-connects\", \"on\": \(on)")
        case .failActivation(let on): fields.append("\"do\": \"fail-activation\", \"on\": \(on)")
        case .registration(let on): fields.append("\"do\": \"registration\", \"registered\": \(on)")
        case .signal(let rssi): fields.append("\"do\": \"signal\", \"rssi\": \(rssi)")
        case .reset: fields.append("\"do\": \"reset\"")
        case .noise(let bytes): fields.append("\"do\": \"noise\", \"bytes\": \(bytes)")
        }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    static func scenario(_ scenario: Scenario) -> String {
        var lines = ["{\(scenario.seed.map { "\"seed\": \($0), " } ?? "")\"events\": ["]
        for (index, event) in scenario.events.enumerated() {
            lines.append(Self.event(event) + (index == scenario.events.count - 1 ? "" : ","))
        }
        lines.append("]}")
        return lines.joined(separator: "\n")
    }

    /// `scenario` with each event on the line ``scenario(_:)`` writes it.
    static func renumbered(_ scenario: Scenario) -> Scenario {
        var copy = scenario
        for index in copy.events.indices { copy.events[index].line = index + 2 }
        return copy
    }
}

/// A JSON value to write with random layout.
indirect enum JSONNode {
    case object([(key: String, value: JSONNode)])
    case array([JSONNode])
    /// Text written as is: a number, `true`, or an already quoted string.
    case raw(String)

    static func string(_ text: String) -> JSONNode { .raw(ScenarioWriter.quote(text)) }
}

/// Valid scenario files with random content and random layout, and the ``Scenario`` each must parse to.
struct ScenarioGenerator {
    var rng: SplitMix64
    private var text = ""
    private var line = 1

    init(seed: UInt64) {
        rng = SplitMix64(seed: seed)
    }

    /// A random valid scenario: its text and what it must parse to.
    mutating func next() -> (text: String, scenario: Scenario) {
        text = ""
        line = 1
        let seed: UInt64? = rng.chance(50) ? UInt64(rng.int(0...(1 << 53))) : nil
        let events = (0..<rng.int(0...12)).map { _ in event() }
        var top: [(key: String, value: JSONNode?)] = [("events", nil)]
        if let seed { top.append(("seed", .raw("\(seed)"))) }
        if rng.chance(30) { top.append(("note", .string("a note, with \"quotes\" and [brackets] {braces}"))) }
        top.shuffle(using: &rng)
        var lines: [Int] = []
        space()
        emit("{")
        for (index, member) in top.enumerated() {
            if index > 0 { emit(",") }
            space()
            emit(ScenarioWriter.quote(member.key))
            space()
            emit(":")
            space()
            if let value = member.value {
                write(value)
            } else {
                emit("[")
                for (index, event) in events.enumerated() {
                    if index > 0 { emit(",") }
                    space()
                    lines.append(line)
                    write(event.node)
                    space()
                }
                emit("]")
            }
            space()
        }
        emit("}")
        space()
        let expected = zip(events, lines).map { event, line in
            Scenario.Event(line: line, trigger: event.trigger, delay: event.delay, change: event.change)
        }
        return (text, Scenario(seed: seed, events: expected))
    }

    private mutating func emit(_ piece: String) {
        text += piece
        line += piece.utf8.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    private mutating func space() {
        emit(rng.pick(["", "", " ", "  ", "\n", "\t", "\r\n", " \n  ", "\n\n"]))
    }

    private mutating func write(_ node: JSONNode) {
        switch node {
        case .raw(let text): emit(text)
        case .array(let items):
            emit("[")
            for (index, item) in items.enumerated() {
                if index > 0 { emit(",") }
                space()
                write(item)
                space()
            }
            emit("]")
        case .object(let members):
            emit("{")
            for (index, member) in members.enumerated() {
                if index > 0 { emit(",") }
                space()
                emit(ScenarioWriter.quote(member.key))
                space()
                emit(":")
                space()
                write(member.value)
                space()
            }
            emit("}")
        }
    }

    /// An event object with its members in random order, and what it must parse to (the line comes later).
    private mutating func event() -> (node: JSONNode, trigger: Scenario.Trigger, delay: Duration, change: Scenario.Change) {
        var members: [(key: String, value: JSONNode)] = []
        let trigger: Scenario.Trigger
        var delay = Duration.zero
        switch rng.int(0...4) {
        case 0:
            let (text, value) = duration()
            members.append(("at", .string(text)))
            trigger = .at(value)
        case 1:
            let command = commandText()
            members.append(("after", .object([("command", .string(command))])))
            trigger = .command(command.uppercased())
        case 2:
            let word = rng.pick(Scenario.stateWords.sorted())
            members.append(("after", .object([("state", .string(word))])))
            trigger = .state(word)
        default:
            let link = rng.int(0...5)
            let bytes = rng.pick([1, rng.int(1...1500), rng.int(1...Int(Int32.max))])
            let sent = rng.chance(50)
            var fields: [(key: String, value: JSONNode)] = [("link", .raw(number(link))), ("bytes", .raw(number(bytes)))]
            fields.shuffle(using: &rng)
            members.append(("after", .object([(sent ? "sent" : "received", .object(fields))])))
            trigger = sent ? .sent(link: link, bytes: bytes) : .received(link: link, bytes: bytes)
        }
        if case .at = trigger {} else if rng.chance(70) {
            let (text, value) = duration()
            members.append(("delay", .string(text)))
            delay = value
        }
        let change: Scenario.Change
        switch rng.int(0...8) {
        case 0:
            let (node, settings) = network()
            members.append(("do", .string("network")))
            members.append(("set", node))
            change = .network(settings)
        case 1:
            members.append(("do", .string("pdp-drop")))
            change = .pdpDrop
        case 2:
            let link = rng.int(0...5)
            members.append(("do", .string("remote-close")))
            members.append(("link", .raw(number(link))))
            change = .remoteClose(link: link)
        case 3, 4:
            let on = rng.chance(50)
            let refuse = rng.chance(50)
            members.append(("do", .string(refuse ? "refuse-connects" : "fail-activation")))
            members.append(("on", .raw("\(on)")))
            change = refuse ? .refuseConnects(on) : .failActivation(on)
        case 5:
            let on = rng.chance(50)
            members.append(("do", .string("registration")))
            members.append(("registered", .raw("\(on)")))
            change = .registration(on)
        case 6:
            let rssi = rng.chance(10) ? 99 : rng.int(0...31)
            members.append(("do", .string("signal")))
            members.append(("rssi", .raw(number(rssi))))
            change = .signal(rssi: rssi)
        case 7:
            members.append(("do", .string("reset")))
            change = .reset
        default:
            let bytes = rng.pick([1, 65536, rng.int(1...65536)])
            members.append(("do", .string("noise")))
            members.append(("bytes", .raw(number(bytes))))
            change = .noise(bytes: bytes)
        }
        if rng.chance(20) { members.append(("note", .string("why this happens"))) }
        members.shuffle(using: &rng)
        return (.object(members), trigger, delay, change)
    }

    /// A duration of at most a day, written in one of the accepted forms.
    private mutating func duration() -> (text: String, value: Duration) {
        let milliseconds = rng.pick([0, rng.int(0...999), rng.int(0...60_000), rng.int(0...86_400_000)])
        switch rng.int(0...6) {
        case 0: return ("\(milliseconds)ms", .milliseconds(milliseconds))
        case 1: return ("\(milliseconds)", .milliseconds(milliseconds))
        case 2: return ("\(milliseconds / 1000)s", .seconds(milliseconds / 1000))
        case 3: return ("\(milliseconds / 60_000)m", .seconds(milliseconds / 60_000 * 60))
        case 4: return ("\(Double(milliseconds) / 1000)s", .milliseconds(milliseconds))
        case 5: return (" \(milliseconds) MS", .milliseconds(milliseconds))
        default:
            let microseconds = min(Int64(milliseconds) * 1000 + Int64(rng.int(0...999)), 86_400_000_000)
            return (ScenarioWriter.duration(.microseconds(microseconds)), .microseconds(microseconds))
        }
    }

    /// A JSON number for a whole `value`, in one of several spellings.
    private mutating func number(_ value: Int) -> String {
        rng.pick(["\(value)", "\(value).0", "\(value)e0", value == 0 ? "-0" : "\(value)"])
    }

    private mutating func commandText() -> String {
        var text = rng.pick(["AT+CIPSEND", "AT+CIPSTART", "at+cifsr", "AT", "ATE0", "AT+CIPSTATUS=3", "at+cstt=\"internet\""])
        if rng.chance(30) {
            let extra = Array("abcXYZ019+=,\"\\/ \u{E9}\t?".unicodeScalars)
            for _ in 0..<rng.int(1...12) { text.unicodeScalars.append(rng.pick(extra)) }
        }
        return text
    }

    /// The `"set"` of a network event and the settings it parses to (the preset first, wherever it is written).
    private mutating func network() -> (node: JSONNode, settings: [String]) {
        let presets = NetworkProfile.presets.map(\.name)
        if rng.chance(30) {
            let name = rng.chance(20) ? rng.pick(presets).uppercased() : rng.pick(presets)
            return (.string(name), ["preset=\(name)"])
        }
        var members: [(key: String, value: JSONNode)] = []
        var settings: [String] = []
        for key in ["up", "down", "delay", "loss"].shuffled(using: &rng) where rng.chance(60) {
            let name = rng.chance(15) ? key.uppercased() : key
            switch key {
            case "up", "down":
                if rng.chance(50) {
                    let kbit = rng.int(0...200_000)
                    members.append((name, .raw(number(kbit))))
                    settings.append("\(name)=\(kbit)")
                } else {
                    let kbit = "\(rng.int(0...20_000)).\(rng.int(0...9))"
                    members.append((name, .string(kbit)))
                    settings.append("\(name)=\(kbit)")
                }
            case "delay":
                let low = rng.int(0...5000)
                let high = low + rng.int(0...5000)
                if rng.chance(30) {
                    members.append((name, .raw(number(low))))
                    settings.append("\(name)=\(low)")
                } else {
                    let value = rng.chance(50) ? "\(low):\(high)" : "\(low)"
                    members.append((name, .string(value)))
                    settings.append("\(name)=\(value)")
                }
            default:
                let percent = rng.int(0...100)
                let loss = Double(percent) / 100
                members.append((name, .raw("\(loss)")))
                settings.append("\(name)=\(percent == 0 ? "0" : percent == 100 ? "1" : "\(loss)")")
            }
        }
        if rng.chance(40) || members.isEmpty {
            let name = rng.pick(presets)
            members.insert(("preset", .string(name)), at: rng.int(0...members.count))
            settings.insert("preset=\(name)", at: 0)
        }
        return (.object(members), settings)
    }
}
