import ModemProtocol
import TestSupport
import Testing

@testable import ModemClient

/// The outcomes that follow a final result (`CONNECT OK`, `+CDNSGIP:`, `SERVER OK`) and the data
/// phase of `AT+CIPSEND`, through the engine's state machine's inputs only, no I/O.
struct OutcomeCompletionTests {
    typealias Machine = CommandEngineStateMachine

    static func feed(_ machine: inout Machine, _ decoder: inout ReplyFrameDecoder, _ text: String) -> [Machine.Action] {
        CommandEngineStateMachineTests.feed(&machine, &decoder, text)
    }

    static let cipstart = #"AT+CIPSTART="TCP","10.0.0.1",80"#
    static let cipstartLink1 = #"AT+CIPSTART=1,"TCP","10.0.0.1",80"#

    @Test func completionsAndWaitsComeFromTheCommand() {
        #expect(ATRequest(Self.cipstart).completion == .connection(link: nil))
        #expect(ATRequest(Self.cipstart).outcomeTimeout == .seconds(160))
        #expect(ATRequest(Self.cipstartLink1).completion == .connection(link: 1))
        #expect(ATRequest(Self.cipstartLink1).outcomeTimeout == .seconds(75))
        #expect(ATRequest(#"AT+CDNSGIP="example.com""#).completion == .lookup)
        #expect(ATRequest("AT+CIPSERVER=1,8080").completion == .server(opening: true))
        #expect(ATRequest("AT+CIPSERVER=0").completion == .server(opening: false))
        #expect(ATRequest("AT+CIPSERVER?").completion == .standard)
        #expect(ATRequest("AT+CIPSTART=?").completion == .standard)
        #expect(ATRequest("AT+CSQ").outcomeTimeout == .zero)
    }

    @Test func cipstartWaitsAfterOKForConnectOK() {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        let start = machine.commandRequested(ATRequest(Self.cipstart), id: 1)
        #expect(start == [.write(Array((Self.cipstart + "\r").utf8)), .startTimer(1, .seconds(160))])
        let ok = Self.feed(&machine, &decoder, Self.cipstart + "\r\r\nOK\r\n")
        #expect(ok == [.cancelTimer(1), .startTimer(2, .seconds(160))])
        let actions = Self.feed(&machine, &decoder, "\r\nCONNECT OK\r\n")
        let reply = ATReply(command: Self.cipstart, result: .ok, outcome: .init(lines: ["CONNECT OK"], isSuccess: true))
        #expect(actions == [.cancelTimer(2), .succeed(1, reply)])
        #expect(reply.transcript == "OK\nCONNECT OK")
        #expect(reply.isSuccess)
    }

    /// Single mode: `STATE: TCP CLOSED`, then `CONNECT FAIL` (docs/research/real-logs.md, b).
    @Test func cipstartFailureKeepsTheStateLine() {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        _ = machine.commandRequested(ATRequest(Self.cipstart), id: 1)
        let actions = Self.feed(&machine, &decoder, framed("OK", "STATE: TCP CLOSED", "CONNECT FAIL"))
        guard case .succeed(1, let reply) = actions.last else {
            Issue.record("no reply: \(actions)")
            return
        }
        #expect(reply.outcome == .init(lines: ["STATE: TCP CLOSED", "CONNECT FAIL"], isSuccess: false))
        #expect(!reply.isSuccess && reply.result == .ok)
        #expect(reply.verdict == "CONNECT FAIL")
        #expect(reply.transcript == "OK\nSTATE: TCP CLOSED\nCONNECT FAIL")
    }

    /// Multi mode: another link's results stay URCs; the given link's result ends the reply.
    @Test func cipstartMultiWaitsForItsOwnLink() {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        _ = machine.commandRequested(ATRequest(Self.cipstartLink1), id: 1)
        #expect(Self.feed(&machine, &decoder, framed("OK")) == [.cancelTimer(1), .startTimer(2, .seconds(75))])
        #expect(Self.feed(&machine, &decoder, framed("0, CONNECT OK")) == [.deliver(.connectOK(link: 0))])
        let actions = Self.feed(&machine, &decoder, framed("1, CONNECT FAIL"))
        let outcome = ATReply.Outcome(lines: ["1, CONNECT FAIL"], isSuccess: false)
        #expect(actions == [.cancelTimer(2), .succeed(1, ATReply(command: Self.cipstartLink1, outcome: outcome))])
    }

    @Test func transparentConnectAndPDPDeactEndTheWait() {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        _ = machine.commandRequested(ATRequest(Self.cipstart), id: 1)
        let connect = Self.feed(&machine, &decoder, framed("OK", "CONNECT"))
        let transparent = ATReply.Outcome(lines: ["CONNECT"], isSuccess: true)
        #expect(connect.last == .succeed(1, ATReply(command: Self.cipstart, outcome: transparent)))
        _ = machine.commandRequested(ATRequest(Self.cipstartLink1), id: 2)
        let dropped = Self.feed(&machine, &decoder, framed("OK", "+PDP: DEACT"))
        let outcome = ATReply.Outcome(lines: ["+PDP: DEACT"], isSuccess: false)
        #expect(dropped.last == .succeed(2, ATReply(command: Self.cipstartLink1, outcome: outcome)))
    }

    /// A link in use: `ERROR`, then `ALREADY CONNECT` right behind it; a plain `ERROR` ends the reply
    /// after a short wait, without an `AT` resync before the next command.
    @Test func alreadyConnectFollowsError() {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        _ = machine.commandRequested(ATRequest(Self.cipstartLink1), id: 1)
        #expect(Self.feed(&machine, &decoder, framed("ERROR")) == [.cancelTimer(1), .startTimer(2, .milliseconds(500))])
        let actions = Self.feed(&machine, &decoder, framed("1, ALREADY CONNECT"))
        let outcome = ATReply.Outcome(lines: ["1, ALREADY CONNECT"], isSuccess: true)
        let reply = ATReply(command: Self.cipstartLink1, result: .error, outcome: outcome)
        #expect(actions == [.cancelTimer(2), .succeed(1, reply)])
        #expect(reply.isSuccess && reply.transcript == "ERROR\n1, ALREADY CONNECT")

        _ = machine.commandRequested(ATRequest(Self.cipstartLink1), id: 2)
        _ = Self.feed(&machine, &decoder, framed("ERROR"))
        let ended = machine.timerFired(4)
        #expect(ended.contains(.succeed(2, ATReply(command: Self.cipstartLink1, result: .error))))
        let next = machine.commandRequested(ATRequest("AT+CSQ"), id: 3)
        #expect(next.first == .write(Array("AT+CSQ\r".utf8)))
    }

    /// An outcome that never comes: the timeout lists what did arrive, `OK` included, and the module
    /// (which did answer) is not resynchronised.
    @Test func outcomeTimeoutSaysWhatArrived() {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        _ = machine.commandRequested(ATRequest(Self.cipstart), id: 1)
        _ = Self.feed(&machine, &decoder, framed("OK", "STATE: IP CONNECTING"))
        let actions = machine.timerFired(2)
        #expect(actions == [.fail(1, .timeout(command: Self.cipstart, received: ["OK", "STATE: IP CONNECTING"]))])
        let error = ModemClientError.timeout(command: Self.cipstart, received: ["OK", "STATE: IP CONNECTING"])
        #expect(error.description.contains("(received: OK | STATE: IP CONNECTING)"))
        #expect(machine.commandRequested(ATRequest("AT+CSQ"), id: 2).first == .write(Array("AT+CSQ\r".utf8)))
    }

    @Test(arguments: [("1,\"example.com\",\"93.184.216.34\"", true), ("0,8", false)])
    func cdnsgipWaitsForTheLookup(result: String, found: Bool) {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        let line = #"AT+CDNSGIP="example.com""#
        _ = machine.commandRequested(ATRequest(line), id: 1)
        #expect(Self.feed(&machine, &decoder, framed("OK")) == [.cancelTimer(1), .startTimer(2, .seconds(30))])
        let actions = Self.feed(&machine, &decoder, framed("+CDNSGIP: " + result))
        let outcome = ATReply.Outcome(lines: ["+CDNSGIP: " + result], isSuccess: found)
        #expect(actions == [.cancelTimer(2), .succeed(1, ATReply(command: line, outcome: outcome))])
    }

    @Test(arguments: [("SERVER OK", true), ("SERVER CLOSE", false)])
    func cipserverOpeningWaitsForTheServer(result: String, listening: Bool) {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        _ = machine.commandRequested(ATRequest("AT+CIPSERVER=1,8080"), id: 1)
        #expect(Self.feed(&machine, &decoder, framed("OK")) == [.cancelTimer(1), .startTimer(2, .seconds(2))])
        let actions = Self.feed(&machine, &decoder, framed(result))
        let outcome = ATReply.Outcome(lines: [result], isSuccess: listening)
        #expect(actions == [.cancelTimer(2), .succeed(1, ATReply(command: "AT+CIPSERVER=1,8080", outcome: outcome))])
    }

    /// Closing the server: `SERVER CLOSE` alone, or `OK` and then `SERVER CLOSE`, or `OK` alone.
    @Test func cipserverClosingEndsAtServerClose() {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        let line = "AT+CIPSERVER=0"
        _ = machine.commandRequested(ATRequest(line), id: 1)
        #expect(Self.feed(&machine, &decoder, framed("SERVER CLOSE")).last
            == .succeed(1, ATReply(command: line, result: .text("SERVER CLOSE"))))
        _ = machine.commandRequested(ATRequest(line), id: 2)
        #expect(Self.feed(&machine, &decoder, framed("OK", "SERVER CLOSE")).last
            == .succeed(2, ATReply(command: line, outcome: .init(lines: ["SERVER CLOSE"], isSuccess: true))))
        _ = machine.commandRequested(ATRequest(line), id: 3)
        let ok = Self.feed(&machine, &decoder, framed("OK"))
        guard case .startTimer(let wait, .milliseconds(500)) = ok.last else {
            Issue.record("no short wait: \(ok)")
            return
        }
        #expect(machine.timerFired(wait).contains(.succeed(3, ATReply(command: line))))
    }

    /// `AT+CIPSEND`: the payload after the prompt, then `SEND OK`; a timeout after the prompt says
    /// the prompt came.
    @Test func sendWritesThePayloadAndATimeoutShowsThePrompt() {
        var machine = Machine()
        var decoder = ReplyFrameDecoder()
        _ = machine.commandRequested(ATRequest("AT+CIPSEND=5", payload: Array("hello".utf8)), id: 1)
        #expect(Self.feed(&machine, &decoder, "\r\n> ") == [.write(Array("hello".utf8))])
        #expect(Self.feed(&machine, &decoder, framed("SEND OK")).last
            == .succeed(1, ATReply(command: "AT+CIPSEND=5", result: .text("SEND OK"))))

        _ = machine.commandRequested(ATRequest("AT+CIPSEND=5", payload: Array("hello".utf8)), id: 2)
        _ = Self.feed(&machine, &decoder, "\r\n> ")
        #expect(machine.timerFired(2).first == .fail(2, .timeout(command: "AT+CIPSEND=5", received: ["> "])))
    }

    @Test func sendDataFitsTheLine() throws {
        let fixed = try #require(ATRequest("AT+CIPSEND=1,5").lastCommand)
        #expect(try SendData.payload(Array("hello".utf8), for: fixed, line: "AT+CIPSEND=1,5", multiConnection: true)
            == Array("hello".utf8))
        #expect(throws: ModemClientError.sendDataLength(command: "AT+CIPSEND=1,5", expected: 5, given: 2)) {
            try SendData.payload([1, 2], for: fixed, line: "AT+CIPSEND=1,5", multiConnection: true)
        }
        // One argument: a length in single mode, a link (data ended by Ctrl-Z) in multi mode.
        let one = try #require(ATRequest("AT+CIPSEND=3").lastCommand)
        #expect(SendData.dependsOnMode(one))
        #expect(try SendData.payload([1, 2, 3], for: one, line: "AT+CIPSEND=3", multiConnection: false) == [1, 2, 3])
        #expect(try SendData.payload([1, 2], for: one, line: "AT+CIPSEND=3", multiConnection: true) == [1, 2, 0x1A])
        let bare = try #require(ATRequest("AT+CIPSEND").lastCommand)
        #expect(try SendData.payload([0x41], for: bare, line: "AT+CIPSEND", multiConnection: false) == [0x41, 0x1A])
        #expect(throws: ModemClientError.sendDataNotTerminable(command: "AT+CIPSEND")) {
            try SendData.payload([0x41, 0x1B], for: bare, line: "AT+CIPSEND", multiConnection: false)
        }
    }
}
