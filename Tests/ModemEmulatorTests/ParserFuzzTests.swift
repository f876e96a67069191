import Foundation
@testable import ModemEmulator
import NIOCore
import NIOPosix
import TestSupport
import Testing
import ModemProtocol

/// Fuzz and property tests for the emulator's parsers: scenario files, control socket requests and
/// the command line's values. Every input comes from a seeded `SplitMix64`, so a failure names the
/// seed and case that reproduce it.

// MARK: - Scenario files

@Suite("ParserFuzz: scenario files", .timeLimit(.minutes(1)))
struct ScenarioParserFuzzTests {
    static let examplesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/scenarios")
    static let examples = ["flaky-rural-gprs", "pdp-drop-during-upload", "server-refuses-for-a-minute"]

    static func lineCount(_ text: String) -> Int { text.utf8.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) } }

    /// Why `scenario`, accepted from a text of `lines` lines, is not well formed; `nil` when it is.
    static func problem(_ scenario: Scenario, lines: Int) -> String? {
        var previousLine = 0
        for event in scenario.events {
            guard (1...lines).contains(event.line) else { return "event line \(event.line) outside 1...\(lines)" }
            guard event.line >= previousLine else { return "event lines out of order" }
            previousLine = event.line
            guard event.delay >= .zero, event.delay <= .seconds(86_400) else { return "delay \(event.delay)" }
            switch event.trigger {
            case .at(let time):
                guard time >= .zero, time <= .seconds(86_400) else { return "at \(time)" }
                guard event.delay == .zero else { return "an at event with a delay" }
            case .command(let text):
                guard !text.isEmpty, text == text.uppercased() else { return "command '\(text)'" }
            case .state(let word):
                guard Scenario.stateWords.contains(word) else { return "state '\(word)'" }
            case .sent(let link, let bytes), .received(let link, let bytes):
                guard (0...5).contains(link), bytes >= 1, bytes <= Int(Int32.max) else { return "link \(link), \(bytes) bytes" }
            }
            switch event.change {
            case .network(let settings):
                var profile = NetworkProfile.ideal
                for setting in settings {
                    guard (try? profile.apply(setting)) != nil else { return "network setting '\(setting)' does not apply" }
                }
                if let problem = ValueParserFuzzTests.problem(profile) { return problem }
            case .remoteClose(let link):
                guard (0...5).contains(link) else { return "remote-close \(link)" }
            case .signal(let rssi):
                guard (0...31).contains(rssi) || rssi == 99 else { return "rssi \(rssi)" }
            case .noise(let bytes):
                guard (1...65536).contains(bytes) else { return "noise \(bytes)" }
            case .pdpDrop, .refuseConnects, .failActivation, .registration, .reset:
                break
            }
        }
        return nil
    }

    /// Parses `text` and checks the outcome: a rejection names a line of the file and a reason; an
    /// acceptance is well formed and survives being written back and parsed again. Returns what was wrong.
    static func check(_ text: String) -> (accepted: Bool, problem: String?) {
        let lines = lineCount(text)
        let scenario: Scenario
        do {
            scenario = try Scenario.parse(text)
        } catch {
            // The typed throw makes every rejection a ScenarioError; it must point into the file.
            guard let line = error.line, (1...lines).contains(line) else {
                return (false, "error line \(String(describing: error.line)) outside 1...\(lines): \(error)")
            }
            guard !error.reason.trimmingCharacters(in: .whitespaces).isEmpty else { return (false, "empty reason") }
            return (false, nil)
        }
        if let problem = problem(scenario, lines: lines) { return (true, problem) }
        let written = ScenarioWriter.scenario(scenario)
        do {
            let again = try Scenario.parse(written)
            guard again == ScenarioWriter.renumbered(scenario) else {
                return (true, "round trip differs:\n\(written)\nparsed as \(again)\nwas \(scenario)")
            }
        } catch {
            return (true, "written back, rejected: \(error)\n\(written)")
        }
        return (true, nil)
    }

    static func report(_ problem: String?, _ input: String, _ label: String) {
        if let problem { Issue.record("\(label): \(problem)\ninput: \(input.debugDescription)") }
    }

    @Test("random bytes and JSON token soup: rejected with a line in the file and a reason", arguments: 0..<4)
    func randomInput(seed: UInt64) {
        var rng = SplitMix64(seed: 0x5CE7_0000 + seed)
        for index in 0..<1000 {
            let bytes: [UInt8]
            switch index % 3 {
            case 0: bytes = rng.bytes(rng.int(0...200))
            case 1: bytes = rng.bytes(rng.int(0...200), from: Mutator.jsonAlphabet)
            default: bytes = (0..<rng.int(0...40)).flatMap { _ in Array(rng.pick(Mutator.tokens).utf8) }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            Self.report(Self.check(text).problem, text, "seed \(seed) case \(index)")
        }
    }

    @Test("mutated example files: every rejection has a line and a reason, every acceptance round-trips", arguments: examples)
    func mutatedExamples(name: String) throws {
        let path = Self.examplesDirectory.appendingPathComponent("\(name).json").path
        let original = Array(try String(contentsOfFile: path, encoding: .utf8).utf8)
        #expect(try !Scenario.load(path: path).events.isEmpty)
        let unmutated = Self.check(String(decoding: original, as: UTF8.self))
        #expect(unmutated.accepted && unmutated.problem == nil, "\(unmutated)")
        var rng = SplitMix64(seed: UInt64(name.utf8.count) &* 0x9E37)
        var accepted = 0
        for index in 0..<1200 {
            let text = String(decoding: Mutator.mutate(original, &rng), as: UTF8.self)
            let (ok, problem) = Self.check(text)
            Self.report(problem, text, "\(name) mutation \(index)")
            if ok { accepted += 1 }
        }
        // The mutations reach the checks behind the JSON syntax, not only the syntax errors.
        #expect(accepted > 20, "only \(accepted) mutations accepted")
    }

    @Test("generated valid scenarios parse to exactly the generated events, lines included", arguments: 0..<4)
    func generatedScenarios(seed: UInt64) {
        var generator = ScenarioGenerator(seed: 0x6E4E_0000 + seed)
        for index in 0..<250 {
            let (text, expected) = generator.next()
            do {
                let scenario = try Scenario.parse(text)
                if scenario != expected {
                    Issue.record("seed \(seed) case \(index): parsed \(scenario)\nexpected \(expected)\ninput: \(text.debugDescription)")
                }
            } catch {
                Issue.record("seed \(seed) case \(index): rejected \(error)\ninput: \(text.debugDescription)")
            }
            Self.report(Self.check(text).problem, text, "seed \(seed) case \(index)")
        }
    }

    @Test("mutated generated scenarios: rejections point into the file, acceptances round-trip")
    func mutatedGenerated() {
        var generator = ScenarioGenerator(seed: 0xA11C_E5)
        var rng = SplitMix64(seed: 0xB0B)
        var accepted = 0
        for index in 0..<1500 {
            let (text, _) = generator.next()
            let mutated = String(decoding: Mutator.mutate(Array(text.utf8), &rng), as: UTF8.self)
            let (ok, problem) = Self.check(mutated)
            Self.report(problem, mutated, "mutation \(index)")
            if ok { accepted += 1 }
        }
        #expect(accepted > 30, "only \(accepted) mutations accepted")
    }

    @Test("a file and the same bytes as text give the same result")
    func loadMatchesParse() throws {
        var rng = SplitMix64(seed: 0xF11E)
        let path = temporaryPath("scenario-fuzz")
        defer { unlink(path) }
        let original = Array(try String(contentsOfFile: Self.examplesDirectory.appendingPathComponent("flaky-rural-gprs.json").path, encoding: .utf8).utf8)
        for index in 0..<40 {
            let bytes = index % 4 == 0 ? rng.bytes(rng.int(0...300)) : Mutator.mutate(original, &rng)
            #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            let fromFile = Result { () throws(ScenarioError) in try Scenario.load(path: path) }
            let fromText = Result { () throws(ScenarioError) in try Scenario.parse(String(decoding: bytes, as: UTF8.self)) }
            #expect(fromFile == fromText, "case \(index)")
        }
        #expect(throws: ScenarioError(line: nil, reason: "cannot read the file")) { try Scenario.load(path: path + ".missing") }
    }

    @Test("values at and past the limits are rejected with their line, never trapped on")
    func limits() {
        let cases: [(String, Int, String)] = [
            (String(repeating: "[", count: 100_000), 1, "nested too deeply"),
            (String(repeating: "{\"a\":", count: 10_000), 1, "nested too deeply"),
            ("{\"events\": [\n{\"at\": \"1e300s\", \"do\": \"reset\"}]}", 2, "not a duration"),
            ("{\"events\": [\n{\"at\": \"1e17ms\", \"do\": \"reset\"}]}", 2, "not a duration"),
            ("{\"events\": [\n{\"at\": \"86400.001s\", \"do\": \"reset\"}]}", 2, "at most a day"),
            ("{\"events\": [\n{\"at\": \"nan\", \"do\": \"reset\"}]}", 2, "not a duration"),
            ("{\"events\": [\n{\"after\": {\"command\": \"AT\"}, \"delay\": \"inf\", \"do\": \"reset\"}]}", 2, "not a duration"),
            ("{\"events\": [{\"at\": \"0s\", \"do\": \"network\",\n \"set\": {\"down\": -1e300}}]}", 2, "down="),
            ("{\"events\": [{\"at\": \"0s\", \"do\": \"network\",\n \"set\": {\"delay\": 9.3e18}}]}", 2, "delay="),
            ("{\"events\": [{\"at\": \"0s\", \"do\": \"network\",\n \"set\": {\"loss\": 1e20}}]}", 2, "loss="),
            ("{\"events\": [{\"at\": \"0s\", \"do\": \"noise\",\n \"bytes\": 1e300}]}", 2, "from 1 to 65536"),
            ("{\"seed\": 1e300, \"events\": []}", 1, "whole number"),
            ("{\"seed\": -1, \"events\": []}", 1, "whole number"),
            ("{\"events\": [\n{\"at\": \"1s\", \"do\": \"reset\", \"x\": 1e999}]}", 2, "not a number"),
            ("{\"events\": [{\"after\": {\"command\": \"\(String(repeating: "A", count: 557))\"}, \"do\": \"reset\"}]}", 1, "start of a command line"),
        ]
        for (text, line, reason) in cases {
            do {
                let scenario = try Scenario.parse(text)
                Issue.record("accepted \(scenario) from \(text.prefix(120).debugDescription)")
            } catch {
                #expect(error.line == line, "\(error) for \(text.prefix(120).debugDescription)")
                #expect(error.reason.contains(reason), "\(error) for \(text.prefix(120).debugDescription)")
            }
        }
        // Large but valid numbers are written back in full.
        let big = try? Scenario.parse("{\"events\": [{\"at\": \"0s\", \"do\": \"network\", \"set\": {\"up\": 1e14}}]}")
        #expect(big?.events.first?.change == .network(["up=100000000000000"]))
        let huge = try? Scenario.parse("{\"events\": [{\"at\": \"0s\", \"do\": \"network\", \"set\": {\"up\": 1e300}}]}")
        #expect(huge?.events.first?.change == .network(["up=\(1e300)"]))
    }
}

// MARK: - Command line values

@Suite("ParserFuzz: command line values", .timeLimit(.minutes(1)))
struct ValueParserFuzzTests {
    /// Why `profile` is out of range; `nil` when every value is one the shaper can use.
    static func problem(_ profile: NetworkProfile) -> String? {
        for rate in [profile.uplinkKbit, profile.downlinkKbit] {
            if let rate, !(rate > 0 && rate.isFinite) { return "rate \(rate)" }
        }
        guard profile.delay.lowerBound >= .zero, profile.delay.upperBound <= .seconds(3600) else { return "delay \(profile.delay)" }
        guard (0...1).contains(profile.udpLoss) else { return "loss \(profile.udpLoss)" }
        return nil
    }

    static let durationAlphabet = Array("0123456789..eE+- msMS\tnaifx:_".unicodeScalars)

    @Test("durations: anything accepted is finite, 0 or more and fits every timer")
    func durationsAreInRange() {
        var rng = SplitMix64(seed: 0xD0_0000)
        var accepted = 0
        for index in 0..<6000 {
            var text = ""
            if index % 2 == 0 {
                for _ in 0..<rng.int(0...10) { text.unicodeScalars.append(rng.pick(Self.durationAlphabet)) }
            } else {
                // Numbers of every magnitude, with and without a unit.
                let mantissa = "\(rng.chance(20) ? "-" : "")\(rng.int(0...999)).\(rng.int(0...99))"
                text = "\(mantissa)e\(rng.int(-5...400))\(rng.pick(["", "ms", "s", "m", "S", " ms", "h", "us"]))"
            }
            guard let duration = DurationParser.parse(text) else { continue }
            accepted += 1
            #expect(duration >= .zero, "\(text.debugDescription) → \(duration)")
            // The runtime turns durations into NIO TimeAmounts (nanoseconds in an Int64); a value that
            // does not fit would trap there.
            let (seconds, _) = duration.components
            #expect(seconds < Int64.max / 1_000_000_000, "\(text.debugDescription) → \(duration)")
            #expect(duration.timeAmount.nanoseconds >= 0)
        }
        #expect(accepted > 200)
        for text in ["1e300s", "1e17ms", "1e16", "9.3e15s", "1.6e14m", "-1", "-0.5s", "nan", "inf", "ms", "", "1..5s", "5h"] {
            #expect(DurationParser.parse(text) == nil, "\(text.debugDescription)")
        }
    }

    @Test("durations round-trip through their milliseconds, seconds and minutes spellings")
    func durationsRoundTrip() {
        var rng = SplitMix64(seed: 0xD0_0001)
        for _ in 0..<3000 {
            let microseconds = Int64(rng.pick([rng.int(0...999), rng.int(0...10_000_000), rng.int(0...(1 << 42))]))
            let duration = Duration.microseconds(microseconds)
            #expect(DurationParser.parse(ScenarioWriter.duration(duration)) == duration)
            let milliseconds = microseconds / 1000
            #expect(DurationParser.parse("\(milliseconds)") == .milliseconds(milliseconds))
            #expect(DurationParser.parse(" \(milliseconds) MS") == .milliseconds(milliseconds))
            #expect(DurationParser.parse("\(Double(milliseconds) / 1000)s") == .milliseconds(milliseconds))
            let minutes = milliseconds / 60_000
            #expect(DurationParser.parse("\(minutes)m") == .seconds(minutes * 60))
        }
        #expect(DurationParser.parse("250ms") == .milliseconds(250))
        #expect(DurationParser.parse("1.5s") == .milliseconds(1500))
        #expect(DurationParser.parse("2m") == .seconds(120))
        #expect(DurationParser.parse("40") == .milliseconds(40))
    }

    static let keys = ["up", "down", "delay", "loss", "preset", "network", "net-up", "net-down", "net-delay", "udp-loss", "UP", "Loss", "bogus", "", "up ", "=up"]
    static let values = [
        "0", "1", "40", "118.4", "-1", "-0", "1e308", "1e309", "nan", "inf", "-inf", "0.5", "1", "1.0001", "2", "",
        "100:200", "200:100", "0:0", "3600000", "3600001", "1:3600000", "5:", ":5", "1:2:3", "gprs", "EDGE", "4g", "x",
        " 5", "0x10", "1e-300", "-1e-300",
    ]

    /// A random setting: usually `key=value` from the pools, sometimes random characters.
    static func setting(_ rng: inout SplitMix64) -> String {
        switch rng.int(0...9) {
        case 0:
            var text = ""
            for _ in 0..<rng.int(0...12) { text.unicodeScalars.append(rng.pick(Array("upldowny=:.0123456789-eaxs ".unicodeScalars))) }
            return text
        case 1: return rng.pick(NetworkProfile.presets.map(\.name) + ["GPRS", "lte ", "none"])
        case 2: return "delay=\(rng.int(0...4_000_000)):\(rng.int(0...4_000_000))"
        case 3: return "loss=\(Double(rng.int(-10...110)) / 100)"
        default: return "\(rng.pick(keys))=\(rng.pick(values))"
        }
    }

    @Test("network settings: an accepted one leaves every value in range, a rejected one changes nothing")
    func networkSettings() {
        var rng = SplitMix64(seed: 0x4E7_0000)
        var accepted = 0
        var profile = NetworkProfile.ideal
        for index in 0..<6000 {
            let setting = Self.setting(&rng)
            let before = profile
            do {
                try profile.apply(setting)
                accepted += 1
                if let problem = Self.problem(profile) { Issue.record("\(setting.debugDescription) → \(problem)") }
                #expect(!profile.description.isEmpty)
            } catch {
                #expect(profile == before, "case \(index): rejected \(setting.debugDescription) but changed the profile")
                #expect(!error.description.isEmpty)
            }
        }
        #expect(accepted > 1000)
        #expect(accepted < 5000)
    }

    /// Settings that give `profile` from any starting point.
    static func settings(for profile: NetworkProfile) -> [String] {
        func milliseconds(_ duration: Duration) -> String {
            ScenarioWriter.duration(duration).replacingOccurrences(of: "ms", with: "")
        }
        return [
            "up=\(profile.uplinkKbit ?? 0)", "down=\(profile.downlinkKbit ?? 0)",
            "delay=\(milliseconds(profile.delay.lowerBound)):\(milliseconds(profile.delay.upperBound))",
            "loss=\(profile.udpLoss)",
        ]
    }

    @Test("network profiles round-trip through key=value settings; presets by name")
    func networkRoundTrip() throws {
        var rng = SplitMix64(seed: 0x4E7_0001)
        var profile = NetworkProfile.ideal
        for _ in 0..<3000 {
            try? profile.apply(Self.setting(&rng))
            var again = NetworkProfile.presets[rng.int(0...5)].profile
            for setting in Self.settings(for: profile) { try again.apply(setting) }
            #expect(again == profile, "\(Self.settings(for: profile))")
        }
        for (name, preset) in NetworkProfile.presets {
            for text in [name, name.uppercased(), "preset=\(name)", "network=\(name.capitalized)"] {
                var applied = NetworkProfile.lte
                try applied.apply(text)
                #expect(applied == preset, "\(text)")
            }
            #expect(preset.description.hasPrefix(name))
        }
    }

    @Test("delay ranges: anything accepted is 0 ≤ min ≤ max ≤ an hour")
    func delayRanges() throws {
        var rng = SplitMix64(seed: 0xDE1A)
        let parts = ["0", "1", "5", "1.5", "-1", "3600000", "3600000.1", "1e3", "nan", "", " ", "x", "-0", "2e-7"]
        for _ in 0..<3000 {
            let text = (0..<rng.int(1...3)).map { _ in rng.pick(parts) }.joined(separator: rng.chance(90) ? ":" : "::")
            guard let range = try? NetworkProfile.delayRange(text) else { continue }
            #expect(range.lowerBound >= .zero && range.upperBound <= .seconds(3600), "\(text.debugDescription) → \(range)")
        }
        for low in 0..<50 {
            let high = low + rng.int(0...3_000_000)
            #expect(try NetworkProfile.delayRange("\(low):\(high)") == .milliseconds(low) ... .milliseconds(high))
            #expect((try? NetworkProfile.delayRange("\(high + 1):\(low)")) == nil)
        }
    }

    @Test("allow-list entries: accepted ones are in range and re-read from their description")
    func allowListEntries() {
        var rng = SplitMix64(seed: 0xA110)
        let alphabet = Array("0123456789./abcXYZ-:_ \t+é".unicodeScalars)
        var accepted = 0
        for index in 0..<6000 {
            var text = ""
            switch index % 3 {
            case 0:
                for _ in 0..<rng.int(0...20) { text.unicodeScalars.append(rng.pick(alphabet)) }
            case 1:
                let octets = (0..<rng.pick([3, 4, 4, 4, 5])).map { _ in String(rng.pick([rng.int(0...255), rng.int(0...999), 1000])) }
                text = octets.joined(separator: ".") + (rng.chance(60) ? "/\(rng.pick(["\(rng.int(-2...40))", "+8", "", "x", "08", "-0"]))" : "")
            default:
                text = String(decoding: rng.bytes(rng.int(0...12)), as: UTF8.self)
            }
            var list = AllowList()
            do {
                try list.add(text)
            } catch {
                #expect(list.entries.isEmpty)
                #expect(text.isEmpty || error.description.contains(text))
                continue
            }
            accepted += 1
            guard list.entries.count == 1, let entry = list.entries.first else {
                Issue.record("\(text.debugDescription) → \(list.entries)")
                continue
            }
            switch entry {
            case .host(let name):
                #expect(!name.isEmpty && name == name.lowercased() && !name.contains("/"), "\(text.debugDescription) → \(entry)")
                #expect(name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F })
                #expect(list.allows(host: text.uppercased(), address: "0.0.0.0"))
            case .network(_, let length):
                #expect((0...32).contains(length), "\(text.debugDescription) → \(entry)")
            }
            var again = AllowList()
            #expect(throws: Never.self) { try again.add(entry.description) }
            #expect(again.entries == [entry], "\(text.debugDescription) → \(entry.description)")
        }
        #expect(accepted > 1000)
    }

    @Test("CIDR entries allow exactly the addresses of their network")
    func cidrMembership() throws {
        var rng = SplitMix64(seed: 0xC1D2)
        for _ in 0..<2000 {
            let address = UInt32.random(in: 0...UInt32.max, using: &rng)
            let length = rng.int(0...32)
            var list = AllowList()
            try list.add("\(IPv4Address(value: address))/\(length)")
            #expect(list.entries == [.network(address: address, prefixLength: length)])
            let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << (32 - length)
            let inside = address & mask | UInt32.random(in: 0...UInt32.max, using: &rng) & ~mask
            #expect(list.allows(host: "x", address: IPv4Address(value: inside).description))
            if length > 0 {
                let outside = inside ^ (UInt32(1) << UInt32(32 - rng.int(1...length)))
                #expect(!list.allows(host: "x", address: IPv4Address(value: outside).description))
            }
            #expect(!list.allows(host: "x", address: "not-an-address"))
        }
    }
}

// MARK: - Control socket

/// A raw connection to the control socket: bytes out, reply lines in.
struct ControlConnection {
    let stream: ByteStream

    static func open(_ path: String) async throws -> ControlConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: path).get()
        return ControlConnection(stream: try await channel.eventLoop.submit { try ByteStream.adopting(channel) }.get())
    }

    /// The next reply: one line, a JSON object with a boolean `ok` and, when false, a reason.
    func reply() async throws -> ControlReply {
        let line = try await stream.read(until: "\n", within: .seconds(10))
        let reply = try JSONDecoder().decode(ControlReply.self, from: Data(line.utf8))
        if !reply.ok { #expect(!(reply.error ?? "").isEmpty, "ok:false without a reason: \(line)") }
        return reply
    }

    func request(_ request: ControlRequest) async throws -> ControlReply {
        try await stream.write(ControlCoding.encode(request))
        return try await reply()
    }

    func status() async throws -> StatusReport {
        let reply = try await request(ControlRequest(command: "status"))
        #expect(reply.ok)
        return try #require(reply.status)
    }

    func close() async { await stream.close() }
}

@Suite("ParserFuzz: control socket", .timeLimit(.minutes(1)))
struct ControlParserFuzzTests {
    /// The emulator-side state the control commands set, as the tests predict it.
    struct Model: Equatable {
        var failActivation = false
        var refuseConnects = false
        var network = NetworkProfile.ideal

        func matches(_ status: StatusReport) -> Bool {
            status.failActivation == failActivation && status.refuseConnects == refuseConnects
                && status.network == network.description && status.modem == 0
        }
    }

    static let flags: [[String]] = [["on"], ["OFF"], ["1"], ["0"], ["true"], ["False"], ["yes"], [], ["on", "off"], [""], ["2"]]
    static func flag(_ arguments: [String]) -> Bool? {
        guard arguments.count == 1 else { return nil }
        return ["on": true, "1": true, "true": true, "off": false, "0": false, "false": false][arguments[0].lowercased()]
    }

    /// A scenario that is accepted and never fires, so it changes nothing the model follows.
    static let inertScenario = #"{"events": [{"after": {"command": "AT+NEVER"}, "do": "signal", "rssi": 5}]}"#

    @Test("valid requests with random arguments: the reply is the predicted ok, the state the predicted one")
    func requestsWithRandomArguments() async throws {
        let path = temporaryPath("fuzz-control")
        try await Harness.run({ $0.controlPath = path }) { _ in
            let control = try await ControlConnection.open(path)
            var rng = SplitMix64(seed: 0xC0_47_01)
            var model = Model()
            for index in 0..<400 {
                let modem: Int? = rng.chance(85) ? rng.pick([nil, 0]) : rng.pick([1, -1, 7, Int.max])
                var arguments: [String] = []
                var predicted: Bool
                var next = model
                let command = rng.pick([
                    "status", "pdp-deact", "fail-activation", "refuse-connects", "registration", "remote-close", "reset",
                    "network", "network", "network", "signal", "noise", "scenario", "explode", "STATUS", "",
                ])
                switch command {
                case "status", "pdp-deact", "reset":
                    if rng.chance(20) { arguments = ["ignored"] }
                    predicted = true
                case "fail-activation", "refuse-connects", "registration":
                    arguments = rng.pick(Self.flags)
                    let on = Self.flag(arguments)
                    predicted = on != nil
                    if let on, command == "fail-activation" { next.failActivation = on }
                    if let on, command == "refuse-connects" { next.refuseConnects = on }
                case "remote-close":
                    arguments = rng.chance(90) ? ["\(rng.int(-2...9))"] : rng.pick([[], ["x"], ["0", "1"]])
                    predicted = false  // no link is open
                case "network":
                    arguments = (0..<rng.int(0...3)).map { _ in ValueParserFuzzTests.setting(&rng) }
                    predicted = !arguments.isEmpty
                    for setting in arguments where predicted {
                        predicted = (try? next.network.apply(setting)) != nil
                    }
                case "signal":
                    let rssi = rng.int(-3...102)
                    arguments = rng.chance(90) ? ["\(rssi)"] : rng.pick([[], ["x"], ["5", "6"], ["1e1"]])
                    predicted = arguments.count == 1 && arguments[0] == "\(rssi)" && ((0...31).contains(rssi) || rssi == 99)
                case "noise":
                    let count = rng.pick([-1, 0, 1, 32, rng.int(0...2000), 65536, 65537])
                    arguments = rng.chance(90) ? ["\(count)"] : rng.pick([[], ["x"], ["1", "2"], ["1.5"]])
                    predicted = arguments == ["\(count)"] && (0...65536).contains(count)
                case "scenario":
                    let garbage = String(decoding: Mutator.mutate(Array(Self.inertScenario.utf8), &rng), as: UTF8.self)
                    switch rng.int(0...3) {
                    case 0: arguments = [Self.inertScenario]
                    case 1: arguments = ["x" + garbage]
                    case 2: arguments = []
                    default: arguments = [Self.inertScenario, Self.inertScenario]
                    }
                    predicted = arguments == [Self.inertScenario]
                default:
                    predicted = false
                }
                if let modem, modem != 0 { predicted = false }
                let reply = try await control.request(ControlRequest(command: command, arguments: arguments, modem: modem))
                #expect(reply.ok == predicted, "case \(index): \(command) \(arguments) modem \(String(describing: modem)) → \(reply)")
                if reply.ok { model = next }
                if reply.ok, command == "network" { #expect(reply.network == model.network.description) }
                if reply.ok, command == "status" { #expect(model.matches(try #require(reply.status))) }
                if index % 25 == 0 { #expect(model.matches(try await control.status()), "case \(index)") }
            }
            #expect(model.matches(try await control.status()))
            await control.close()
            // A fresh connection is served as well.
            let again = try await ControlClient.request(ControlRequest(command: "status"), to: path)
            let status = try #require(again.status)
            #expect(again.ok && model.matches(status))
        }
    }

    @Test("invalid arguments: ok false with a reason, and nothing changes")
    func invalidArgumentsChangeNothing() async throws {
        let path = temporaryPath("fuzz-control")
        try await Harness.run({ $0.controlPath = path }) { _ in
            let control = try await ControlConnection.open(path)
            // Start away from the defaults, so that a change back would show.
            #expect(try await control.request(ControlRequest(command: "network", arguments: ["edge", "loss=0.25"])).ok)
            #expect(try await control.request(ControlRequest(command: "fail-activation", arguments: ["on"])).ok)
            let before = try await control.status()
            var requests: [ControlRequest] = [
                .init(command: "remote-close", arguments: ["9"]), .init(command: "remote-close", arguments: ["-1"]),
                .init(command: "remote-close", arguments: ["0"]), .init(command: "remote-close", arguments: []),
                .init(command: "remote-close", arguments: ["x"]), .init(command: "noise", arguments: ["-1"]),
                .init(command: "noise", arguments: ["65537"]), .init(command: "noise", arguments: ["1.5"]),
                .init(command: "noise", arguments: []), .init(command: "network", arguments: ["bogus=1"]),
                .init(command: "network", arguments: []), .init(command: "network", arguments: ["up=-1"]),
                .init(command: "network", arguments: ["loss=2"]), .init(command: "network", arguments: ["delay=5:1"]),
                .init(command: "network", arguments: ["preset=gprs", "loss=nan"]),
                .init(command: "network", arguments: ["lte", "up=1", "4g"]), .init(command: "signal", arguments: ["32"]),
                .init(command: "signal", arguments: ["-1"]), .init(command: "signal", arguments: ["100"]),
                .init(command: "fail-activation", arguments: ["maybe"]), .init(command: "fail-activation", arguments: []),
                .init(command: "refuse-connects", arguments: ["on", "off"]),
                .init(command: "registration", arguments: ["2"]), .init(command: "scenario", arguments: ["{"]),
                .init(command: "scenario", arguments: []),
                .init(command: "scenario", arguments: [#"{"events": [{"at": "0s", "do": "network", "set": "lte"}, {"at": "1s", "do": "explode"}]}"#]),
                .init(command: "explode"), .init(command: "status", modem: 1), .init(command: "reset", modem: -1),
                .init(command: "fail-activation", arguments: ["off"], modem: 2),
                .init(command: "network", arguments: ["lte"], modem: 1),
            ]
            var rng = SplitMix64(seed: 0xBAD_A2)
            for _ in 0..<150 {
                // Random settings with at least one that cannot apply.
                var settings = (0..<rng.int(0...2)).map { _ in ValueParserFuzzTests.setting(&rng) }
                settings.insert(rng.pick(["bogus=1", "up=-\(rng.int(1...9))", "loss=\(rng.int(2...9))", "delay=\(rng.int(5...9)):\(rng.int(0...4))", "4g"]), at: rng.int(0...settings.count))
                requests.append(.init(command: "network", arguments: settings))
                requests.append(.init(command: rng.pick(["signal", "noise", "remote-close"]), arguments: ["\(rng.int(100_000...999_999))"]))
            }
            for request in requests {
                let reply = try await control.request(request)
                #expect(!reply.ok, "\(request) → \(reply)")
                #expect(!(reply.error ?? "").isEmpty)
            }
            #expect(try await control.status() == before)
            #expect(before.network == NetworkProfile(uplinkKbit: 118.4, downlinkKbit: 236.8, delay: .milliseconds(80) ... .milliseconds(400), udpLoss: 0.25).description)
            #expect(before.failActivation)
            await control.close()
        }
    }

    @Test("random bytes, JSON-ish lines and blank lines, pipelined in random pieces: one reply per non-blank line")
    func garbageLines() async throws {
        let path = temporaryPath("fuzz-control")
        try await Harness.run({ $0.controlPath = path }) { _ in
            let control = try await ControlConnection.open(path)
            let before = try await control.status()
            var rng = SplitMix64(seed: 0x6A_2BA6E)
            // Requests that change nothing even when a mutation leaves them valid.
            let bases = [
                #"{"command":"status","arguments":[],"modem":0}"#, #"{"command":"remote-close","arguments":["3"]}"#,
                #"{"command":"status"}"#, #"{"command":"explode","arguments":["a","b"],"modem":null}"#,
            ]
            for round in 0..<6 {
                var blob: [UInt8] = []
                var expected: [Bool?] = []  // per non-blank line: false when it must be refused, nil when either
                for _ in 0..<80 {
                    var line: [UInt8]
                    switch rng.int(0...5) {
                    case 0: line = rng.bytes(rng.int(1...120)).filter { $0 != 0x0A }
                    case 1: line = rng.bytes(rng.int(1...80), from: Mutator.jsonAlphabet).filter { $0 != 0x0A }
                    case 2: line = Mutator.mutate(Array(rng.pick(bases).utf8), &rng).filter { $0 != 0x0A }
                    case 3: line = Array(rng.pick(bases).utf8)
                    case 4: line = rng.pick([[], [0x0D], Array(" ".utf8), Array("\t".utf8)])
                    default:
                        line = Array(rng.pick([
                            "{}", "[]", "null", "\"status\"", #"{"command":5}"#, #"{"command":"status","arguments":"x"}"#,
                            #"{"command":"status","modem":1e400}"#, #"{"command":"status","modem":"0"}"#,
                            #"{"command":"noise","arguments":[1]}"#, #"{"command":"signal","arguments":[null]}"#,
                            String(repeating: "[", count: 20_000), String(repeating: "{\"a\":", count: 5000),
                            #"{"command":"st\u0061tus"}"#, "\u{FEFF}{\"command\":\"status\"}",
                        ]).utf8)
                    }
                    let terminator: [UInt8] = rng.chance(30) ? [0x0D, 0x0A] : [0x0A]
                    // The reader drops one \r before the \n and skips what is then empty.
                    let isBlank = line.isEmpty || (line == [0x0D] && terminator == [0x0A])
                    if !isBlank {
                        let text = String(decoding: line, as: UTF8.self)
                        expected.append(bases.contains(text) || text.contains("\"command\"") ? nil : false)
                    }
                    blob += line + terminator
                }
                var offset = 0
                while offset < blob.count {
                    let end = min(blob.count, offset + rng.pick([1, 7, rng.int(1...512), 4096]))
                    try await control.stream.write(Array(blob[offset..<end]))
                    offset = end
                }
                for (index, refused) in expected.enumerated() {
                    let reply = try await control.reply()
                    if let refused { #expect(reply.ok == refused, "round \(round) line \(index) → \(reply)") }
                }
                // Exactly one reply per line: the next reply is the status asked for now.
                #expect(try await control.status() == before)
            }
            await control.close()
        }
    }

    @Test("a request line over 64 KiB closes that connection only; the emulator keeps serving")
    func overlongLine() async throws {
        let path = temporaryPath("fuzz-control")
        try await Harness.run({ $0.controlPath = path }) { _ in
            let control = try await ControlConnection.open(path)
            // Just under the limit: an answer.
            try await control.stream.write(Array(repeating: UInt8(ascii: "x"), count: ControlSocket.maximumLineLength - 10) + [0x0A])
            let answer = try await control.reply()
            #expect(!answer.ok)
            try await control.stream.write(Array(repeating: UInt8(ascii: "{"), count: ControlSocket.maximumLineLength + 1))
            try await control.stream.waitForClose()
            let again = try await ControlConnection.open(path)
            #expect(try await again.status().modem == 0)
            await again.close()
        }
    }

    @Test("the dispatcher answers every line with exactly one JSON line")
    func dispatcherLines() async throws {
        try await Harness.run { harness in
            let dispatcher = ControlDispatcher(modems: [harness.modem])
            var rng = SplitMix64(seed: 0xD15_7A7C4)
            for index in 0..<1500 {
                let line: [UInt8] =
                    switch index % 3 {
                    case 0: rng.bytes(rng.int(0...100))
                    case 1: rng.bytes(rng.int(0...100), from: Mutator.jsonAlphabet)
                    default: Mutator.mutate(Array(#"{"command":"explode","arguments":["9"],"modem":0}"#.utf8), &rng)
                    }
                let reply = await dispatcher.handle(line: line)
                #expect(reply.last == 0x0A && reply.dropLast().allSatisfy { $0 != 0x0A }, "case \(index)")
                let decoded = try JSONDecoder().decode(ControlReply.self, from: Data(reply.dropLast()))
                #expect(!decoded.ok, "case \(index): \(String(decoding: line, as: UTF8.self).debugDescription)")
                #expect(!(decoded.error ?? "").isEmpty)
            }
        }
    }
}
