import Foundation
@testable import ModemEmulator
import NIOCore
import NIOPosix
import TestSupport
import Testing
import ModemProtocol

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
