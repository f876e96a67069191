import Foundation
@testable import ModemEmulator
import NIOCore
import NIOPosix
import TestSupport
import Testing
import ModemProtocol

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
