import ModemProtocol
import TestSupport
import Testing

@testable import ModemClient

/// The engine's state machine driven through its inputs only, no I/O.
struct CommandEngineStateMachineTests {
    typealias Machine = CommandEngineStateMachine

    static func feed(_ machine: inout Machine, _ decoder: inout ReplyFrameDecoder, _ text: String) -> [Machine.Action] {
        decoder.frames(Array(text.utf8)).flatMap { machine.frameReceived($0) }
    }

    @Test func cifsrEndsAtTheAddress() {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        let start = machine.commandRequested(ATRequest("AT+CIFSR"), id: 1)
        #expect(start == [.write(Array("AT+CIFSR\r".utf8)), .startTimer(1, .seconds(2))])
        let actions = Self.feed(&machine, &decoder, "AT+CIFSR\r\n83.73.111.73\r\n")
        #expect(actions == [.cancelTimer(1), .succeed(1, ATReply(command: "AT+CIFSR", result: .text("83.73.111.73")))])
    }

    @Test func cifsrWithE0TakesTheFinalOK() {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        _ = machine.commandRequested(ATRequest("AT+CIFSR;E0"), id: 1)
        let actions = Self.feed(&machine, &decoder, "\r\n100.82.248.253\r\n\r\nOK\r\n")
        #expect(actions.last == .succeed(1, ATReply(command: "AT+CIFSR;E0", lines: ["100.82.248.253"], result: .ok)))
    }

    @Test func timeoutThenProbesThenNoAnswer() {
        var machine = Machine()
        _ = machine.commandRequested(ATRequest("AT+CSQ"), id: 1)
        _ = machine.commandRequested(ATRequest("AT+CREG?"), id: 2)
        let timedOut = machine.timerFired(1)
        #expect(timedOut.first == .fail(1, .timeout(command: "AT+CSQ", received: [])))
        #expect(timedOut.dropFirst().first == .write(Array("AT\r".utf8)))
        var actions = machine.timerFired(2)
        actions += machine.timerFired(3)
        actions += machine.timerFired(4)
        #expect(actions.contains(.fail(2, .noAnswer)))
        #expect(!machine.isBusy)
    }

    @Test func probeAnsweredRunsTheWaitingCommand() {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        _ = machine.commandRequested(ATRequest("AT+CSQ"), id: 1)
        _ = machine.timerFired(1)
        _ = machine.commandRequested(ATRequest("AT+CSQ"), id: 2)
        let actions = Self.feed(&machine, &decoder, "\r\nOK\r\n")
        #expect(actions == [.cancelTimer(2), .write(Array("AT+CSQ\r".utf8)), .startTimer(3, .seconds(1))])
    }

    /// Line noise or a runaway module during a command: the reply keeps at most
    /// `maximumReplyLines` lines, and the command still completes at its final result.
    @Test func aReplyKeepsABoundedNumberOfLines() {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        _ = machine.commandRequested(ATRequest("AT"), id: 1)
        let flood = String(repeating: "x\r\n", count: 5000)
        let actions = Self.feed(&machine, &decoder, flood + "OK\r\n")
        guard case .succeed(1, let reply) = actions.last else {
            Issue.record("no reply: \(actions.suffix(2))")
            return
        }
        #expect(reply.lines.count == Machine.maximumReplyLines)
        #expect(reply.result == .ok)
        #expect(!machine.isBusy)
    }

    @Test func lateLinesAfterACommandAreUnsolicited() {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        #expect(Self.feed(&machine, &decoder, "\r\nSEND OK\r\n") == [.deliver(.other("SEND OK"))])
    }

    @Test func cipstatusMultiEndsAtLastLink() {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        _ = machine.commandRequested(ATRequest("AT+CIPSTATUS", completion: .status(multiConnection: true, linkCount: 2)), id: 1)
        var actions = Self.feed(&machine, &decoder, "\r\nOK\r\n\r\nSTATE: IP STATUS\r\n")
        #expect(actions == [.startTimer(2, .milliseconds(300))])
        actions = Self.feed(&machine, &decoder, "C: 0,,\"\",\"\",\"\",\"INITIAL\"\r\nC: 1,,\"\",\"\",\"\",\"INITIAL\"\r\n")
        #expect(actions.contains { if case .succeed(1, let reply) = $0 { reply.lines.count == 3 } else { false } })
    }

    /// Random bytes from the module never crash the engine, and every command ends: by a result,
    /// or by its timer.
    @Test func fuzzedRepliesAlwaysEndEveryCommand() {
        var generator = SplitMix64(seed: 0x5EED_0004)
        let vocabulary = [
            "OK", "ERROR", "+CME ERROR: 3", "STATE: IP INITIAL", "C: 5,,\"\",\"\",\"\",\"INITIAL\"", "> ", "CLOSED",
            "+CIPRXGET: 2,0,5,0", "+RECEIVE,0,3:", "+IPD,2:", "SHUT OK", "0, CLOSE OK", "SEND OK", "10.0.0.1", "\r", "\n",
            "CONNECT OK", "0, CONNECT FAIL", "ALREADY CONNECT", "+CDNSGIP: 0,8", "SERVER OK", "SERVER CLOSE",
        ]
        let commands = [
            "AT", "AT+CIPSTATUS", "AT+CIFSR", "AT+CIPSHUT", "AT+CIPCLOSE=0", "AT+CIPSEND=0,3", "AT+CIPRXGET=2,0,5",
            #"AT+CIPSTART="TCP","10.0.0.1",80"#, #"AT+CIPSTART=0,"TCP","10.0.0.1",80"#, "AT+CDNSGIP=a.b",
            "AT+CIPSERVER=1,80", "AT+CIPSERVER=0",
        ]
        for round in 0..<300 {
            var machine = Machine()
            var decoder = ReplyFrameDecoder(maximumLineLength: 64, maximumDataLength: 64)
            var open: Set<UInt64> = []
            var timers: Set<UInt64> = []
            func apply(_ actions: [Machine.Action]) {
                for action in actions {
                    switch action {
                    case .startTimer(let id, _): timers.insert(id)
                    case .cancelTimer(let id): timers.remove(id)
                    case .succeed(let id, _), .fail(let id, _): open.remove(id)
                    default: break
                    }
                }
            }
            for id in 1...UInt64(4) {
                open.insert(id)
                let request = ATRequest(commands[Int(generator.next() % UInt64(commands.count))], payload: [1, 2, 3])
                apply(machine.commandRequested(request, id: id))
            }
            for _ in 0..<40 {
                var bytes: [UInt8]
                if generator.next() % 2 == 0 {
                    bytes = Array((vocabulary[Int(generator.next() % UInt64(vocabulary.count))] + "\r\n").utf8)
                } else {
                    bytes = (0..<Int(generator.next() % 16)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                }
                var input = bytes[...]
                while let frame = decoder.next(&input) { apply(machine.frameReceived(frame)) }
            }
            // Let every timer fire until nothing is left: each command must then be finished.
            var guardCount = 0
            while let timer = timers.min(), guardCount < 100 {
                timers.remove(timer)
                apply(machine.timerFired(timer))
                guardCount += 1
            }
            #expect(open.isEmpty, "round \(round): commands \(open) never ended")
            #expect(!machine.isBusy)
        }
    }
}

