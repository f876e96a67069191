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
