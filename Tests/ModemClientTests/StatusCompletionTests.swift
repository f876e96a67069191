import ModemProtocol
import TestSupport
import Testing

@testable import ModemClient

/// Where the reply to `AT+CIPSTATUS` ends, for every layout of the family (issue 12), driven through
/// the engine's inputs. Bytes from the corpus (Tests/ModemProtocolTests/Fixtures/transcripts).
struct StatusCompletionTests {
    typealias Machine = CommandEngineStateMachine

    static func feed(_ machine: inout Machine, _ decoder: inout ReplyFrameDecoder, _ text: String) -> [Machine.Action] {
        decoder.frames(Array(text.utf8)).flatMap { machine.frameReceived($0) }
    }

    static func unused(_ numbers: ClosedRange<Int>) -> String {
        numbers.map { "C: \($0),,\"\",\"\",\"\",\"INITIAL\"\r\n" }.joined()
    }

    /// The reply a `.succeed` action carries.
    static func reply(_ actions: [Machine.Action]) -> ATReply? {
        for case .succeed(_, let reply) in actions { return reply }
        return nil
    }

    @Test("SIM7000 (file 19): eight links end at C: 7, also when the link count is not known")
    func eightLinks() {
        for count in [8, nil] as [Int?] {
            var machine = Machine()
            var decoder = ReplyFrameDecoder()
            _ = machine.commandRequested(
                ATRequest("AT+CIPSTATUS", completion: .status(multiConnection: true, linkCount: count)), id: 1)
            var actions = Self.feed(&machine, &decoder, "\r\nOK\r\n\r\nSTATE: IP PROCESSING\r\n\r\n" + Self.unused(0...5))
            #expect(Self.reply(actions) == nil, "ended before links 6 and 7")
            actions = Self.feed(&machine, &decoder, Self.unused(6...7))
            #expect(Self.reply(actions)?.lines.count == 9)
        }
    }

    @Test("a SIM800 with a known count of six ends at C: 5; unknown, after the quiet time")
    func sixLinks() {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        _ = machine.commandRequested(ATRequest("AT+CIPSTATUS", completion: .status(multiConnection: true, linkCount: 6)), id: 1)
        let actions = Self.feed(&machine, &decoder, "\r\nOK\r\n\r\nSTATE: IP STATUS\r\n" + Self.unused(0...5))
        #expect(Self.reply(actions)?.lines.count == 7)

        var unknown = Machine()
        _ = unknown.commandRequested(ATRequest("AT+CIPSTATUS", completion: .status(multiConnection: true, linkCount: nil)), id: 1)
        let waiting = Self.feed(&unknown, &decoder, "\r\nOK\r\n\r\nSTATE: IP STATUS\r\n" + Self.unused(0...5))
        #expect(Self.reply(waiting) == nil)
        guard case .startTimer(let settle, _)? = waiting.last else {
            Issue.record("no quiet timer: \(waiting)")
            return
        }
        #expect(Self.reply(unknown.timerFired(settle))?.lines.count == 7)
    }

    @Test("a reply cut short is not ended by the quiet time: it times out with what arrived")
    func cutShort() {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        let start = machine.commandRequested(
            ATRequest("AT+CIPSTATUS", completion: .status(multiConnection: true, linkCount: nil)), id: 1)
        guard case .startTimer(let timeout, _)? = start.last else { return }
        for reply in ["\r\nOK\r\n\r\nSTATE: IP PROCESSING\r\n" + Self.unused(0...2), ""] {
            let actions = Self.feed(&machine, &decoder, reply)
            if case .startTimer(let settle, _)? = actions.last {
                #expect(machine.timerFired(settle) == [], "the quiet time ended a reply of three links")
            }
        }
        let failed = machine.timerFired(timeout)
        #expect(failed.first == .fail(1, .timeout(command: "AT+CIPSTATUS", received: ["STATE: IP PROCESSING"] + (0...2).map {
            "C: \($0),,\"\",\"\",\"\",\"INITIAL\""
        })))
    }

    @Test("Air700F (file 25): the C: lines before STATE:, which ends the reply")
    func linksBeforeState() {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        _ = machine.commandRequested(ATRequest("AT+CIPSTATUS", completion: .status(multiConnection: true, linkCount: 6)), id: 1)
        var actions = Self.feed(&machine, &decoder, "\r\nOK\r\n" + Self.unused(0...5) + "\r\n\r\n")
        #expect(Self.reply(actions) == nil)
        #expect(!actions.contains { if case .deliver = $0 { true } else { false } }, "a C: line taken for a URC")
        actions = Self.feed(&machine, &decoder, "STATE: IP INITIAL\r\n")
        #expect(Self.reply(actions)?.lines.count == 7)
    }

    @Test("A6/A7 (file 22): +CIPSTATUS: and a line per link before OK; OK ends the reply, no line is a URC")
    func a6Layout() {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        _ = machine.commandRequested(ATRequest("AT+CIPSTATUS"), id: 1)
        let links = (1...7).map { "\($0),\($0 == 1 ? "CONNECT OK" : "IP INITIAL")\r\n" }.joined()
        let actions = Self.feed(&machine, &decoder, "\r\n+CIPSTATUS:0,IP GPRSACT\r\n" + links + "\r\n\r\nOK\r\n")
        #expect(!actions.contains { if case .deliver = $0 { true } else { false } })
        let reply = Self.reply(actions)
        #expect(reply?.lines.count == 8)
        let reading = reply.flatMap { try? CIPSTATUSDecoder.readStatus($0.lines.joined(separator: "\n")) }
        #expect(reading?.stateReported == false)
        if case .multi(_, _, let decoded)? = reading?.status {
            #expect(decoded.map(\.number) == Array(0...7))
            #expect(decoded[1].state.rawValue == "CONNECT OK")
        } else {
            Issue.record("not read as links: \(String(describing: reading))")
        }
    }
}
