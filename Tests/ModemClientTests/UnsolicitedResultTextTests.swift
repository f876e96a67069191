import ModemProtocol
import Testing

@testable import ModemClient

/// An unsolicited result prints as the line the module wrote (`1, CLOSED`, `+PDP: DEACT`), not as
/// a Swift enum case.
struct UnsolicitedResultTextTests {
    /// Lines as modules write them (SIM800 manual §8.2; docs/research/real-logs.md), each decoded
    /// and printed back.
    @Test(arguments: [
        "RDY", "+CFUN: 1", "+CPIN: READY", "+CPIN: NOT READY", "Call Ready", "SMS Ready", "CONNECT OK",
        "1, CONNECT OK",
        "CONNECT FAIL", "0, CONNECT FAIL", "ALREADY CONNECT", "2, ALREADY CONNECT", "CLOSED",
        "1, CLOSED",
        "+PDP: DEACT", "+CIPRXGET: 1", "+CIPRXGET: 1,3", "REMOTE IP: 10.0.0.5",
        "0, REMOTE IP: 10.0.0.5",
        #"+CDNSGIP: 1,"example.com","93.184.216.34""#, "+CDNSGIP: 0,8", "SERVER OK", "STATE: IP CLOSE",
        "STATE: SOMETHING NEW",
    ])
    func decodedLinePrintsAsWritten(line: String) throws {
        let result = try #require(UnsolicitedResult(line: line))
        #expect(result.line == line)
        #expect(result.description == line)
        #expect("\(result)" == line)
    }

    @Test func otherLinePrintsAsWritten() {
        let result = UnsolicitedResult(line: "+CREG: 1") ?? .other("+CREG: 1")
        #expect(result == .other("+CREG: 1"))
        #expect("\(result)" == "+CREG: 1")
        #expect(result.link == nil)
    }

    @Test func linkNumbers() throws {
        #expect(try #require(UnsolicitedResult(line: "1, CLOSED")).link == 1)
        #expect(try #require(UnsolicitedResult(line: "CLOSED")).link == nil)
        #expect(try #require(UnsolicitedResult(line: "0, REMOTE IP: 10.0.0.5")).link == 0)
        #expect(try #require(UnsolicitedResult(line: "+CIPRXGET: 1,3")).link == 3)
        #expect(try #require(UnsolicitedResult(line: "+PDP: DEACT")).link == nil)
    }

    /// Received data prints as the header the module used and a size, never the bytes themselves.
    @Test func receivedDataPrintsItsHeaderAndSize() throws {
        let bytes = Array("hello".utf8)
        let multi = try #require(UnsolicitedResult(header: "+RECEIVE,1,5:", bytes: bytes))
        #expect(multi.line == "+RECEIVE,1,5:")
        #expect("\(multi)" == "+RECEIVE,1,5: [5 bytes]")
        #expect(multi.link == 1)
        let single = try #require(UnsolicitedResult(header: "+IPD,5:", bytes: bytes))
        #expect(single.line == "+IPD,5:")
        #expect("\(single)" == "+IPD,5: [5 bytes]")
        #expect(single.link == nil)
    }

    @Test func stateWordKeepsTheModulesSpelling() {
        #expect(UnsolicitedResult.state("IP CLOSE").line == "STATE: IP CLOSE")
        #expect(UnsolicitedResult.functionality("1").line == "+CFUN: 1")
        #expect(UnsolicitedResult.functionality("x").line == "+CFUN: x")
    }
}
