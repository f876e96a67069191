import ModemCore
import ModemProtocol
import Testing

/// Malformed lines, bad arguments and commands in the wrong state get `ERROR` (or `+CME ERROR`)
/// and leave the modem and every link exactly as they were.
@Suite("Bad input")
struct BadInputTests {
    /// A multi-mode modem with an open link 0 carrying unread data, a closed link 1, a listening
    /// server: as much state as possible to disturb.
    static func busyModem(cmee: Int = 0) -> ModemHarness {
        var modem = ModemHarness(echo: false)
        modem.send("AT+CMEE=\(cmee)")
        modem.send("AT+CIPMUX=1")
        modem.send("AT+CIPRXGET=1")
        modem.bringUp()
        let id = modem.connect(link: 0)
        modem.event(.received(id, Array("pending".utf8)))
        let other = modem.connect(link: 1, transport: .udp, port: 5000)
        modem.event(.remoteClosed(other))
        modem.send("AT+CIPSERVER=1,4010")
        modem.event(.listening(port: 4010))
        return modem
    }

    static let rejected: [String] = [
        "AT+CIPSTATUS=6", "AT+CIPSTATUS=-1", "AT+CIPSTATUS=0,1", "AT+CIPSTATUS=\"0\"", "AT+CIPSTATUS=a",
        "AT+CIPSTATUS?", "AT+CIPSTATUS=", "AT+NOSUCH",
        "AT+CIPSTART=6,\"TCP\",\"127.0.0.1\",80", "AT+CIPSTART=2,\"SCTP\",\"127.0.0.1\",80",
        "AT+CIPSTART=2,\"TCP\",\"\",80", "AT+CIPSTART=2,\"TCP\",\"127.0.0.1\",70000", "AT+CIPSTART=2,\"TCP\",\"h\"",
        "AT+CIPSTART=\"TCP\",\"127.0.0.1\",80", "AT+CIPMUX=0", "AT+CIPMUX=2", "AT+CSTT=\"apn\"", "AT+CIICR",
        "AT+CIPSEND=2", "AT+CIPSEND=0,0", "AT+CIPSEND=0,1461", "AT+CIPSEND", "AT+CIPCLOSE=2", "AT+CIPCLOSE=1",
        "AT+CIPCLOSE=0,2", "AT+CIPRXGET=2,5,10", "AT+CIPRXGET=2,0,0", "AT+CIPRXGET=2,0,1461", "AT+CIPRXGET=9",
        "AT+CIPRXGET=0", "AT+CIPSERVER=1,4011", "AT+CIPSERVER=1,0", "AT+CMEE=3", "ATE2", "ATV7",
        "AT+CDNSCFG=\"1.2.3\"", "AT+CIPHEAD=2", "AT+CIPQSEND=5", "AT+CIPSGTXT=2", "AT+CGATT=3",
        "AT+CIPSTART=0,\"TCP\",\"127.0.0.1\",80,1", "AT+CIPSTATUS=0;+NOSUCH", "hello", "A", "AT+", "AT+CSQ=\"x",
        "AT+CIPSTATUS=0\u{7}", "AT\u{1}", "ATE0?x", "AT+CIPSTATUS=?x",
    ]

    @Test("rejected lines change nothing", arguments: rejected)
    func rejectedLine(line: String) {
        var modem = Self.busyModem()
        let before = modem.modem.snapshot
        let actionsBefore = modem.actions.count
        let reply = modem.send(line)
        #expect(reply.hasSuffix("\r\nERROR\r\n"), "reply was \(reply.debugDescription)")
        #expect(modem.modem.snapshot == before)
        // No socket, timer or network action was started by the rejected line.
        #expect(modem.actions.count == actionsBefore)
    }

    @Test("errors are +CME ERROR under AT+CMEE=1 and =2, state untouched")
    func cmeErrors() {
        for (cmee, expected) in [(1, "\r\n+CME ERROR: 3\r\n"), (2, "\r\n+CME ERROR: operation not allowed\r\n")] {
            var modem = Self.busyModem(cmee: cmee)
            let before = modem.modem.snapshot
            #expect(modem.send("AT+CIPSTATUS=6") == expected)
            #expect(modem.send("AT+CSTT=\"apn\"") == expected)
            #expect(modem.modem.snapshot == before)
            // Syntax errors and unknown commands stay plain ERROR, as on SIM800.
            #expect(modem.send("AT+NOSUCH") == "\r\nERROR\r\n")
        }
    }

    @Test("AT+CIPSTATUS=<n> in single mode is an error")
    func linkQueryInSingleMode() {
        var modem = ModemHarness(echo: false)
        modem.bringUp()
        modem.connect()
        let before = modem.modem.snapshot
        #expect(modem.send("AT+CIPSTATUS=0") == "\r\nERROR\r\n")
        #expect(modem.modem.snapshot == before)
    }

    @Test("an over-long line is rejected, not kept, and the next line works")
    func overlongLine() {
        var modem = Self.busyModem()
        let before = modem.modem.snapshot
        let long = "AT+CIPSTATUS=" + String(repeating: "9", count: 100_000)
        #expect(modem.send(long) == "\r\nERROR\r\n")
        #expect(modem.modem.snapshot == before)
        #expect(modem.send("AT") == "\r\nOK\r\n")
    }

    @Test("a failed command in a chain stops the chain")
    func failedChain() {
        var modem = ModemHarness(echo: false)
        #expect(modem.send("AT+CIPMUX=1;+NOSUCH;+CIPHEAD=1") == "\r\nERROR\r\n")
        // V.250: commands before the failing one took effect, the rest did not run.
        #expect(modem.send("AT+CIPMUX?;+CIPHEAD?") == "\r\n+CIPMUX: 1\r\n\r\n+CIPHEAD: 0\r\n\r\nOK\r\n")
    }

    @Test("ALREADY CONNECT for a link in use, and the link keeps working")
    func alreadyConnect() {
        var modem = ModemHarness(echo: false)
        modem.bringUp()
        let id = modem.connect()
        #expect(modem.send("AT+CIPSTART=\"TCP\",\"127.0.0.1\",9") == "\r\nERROR\r\n\r\nALREADY CONNECT\r\n")
        #expect(modem.status() == "\r\nOK\r\n\r\nSTATE: CONNECT OK\r\n")
        #expect(modem.send("AT+CIPSEND=2") == "\r\n> ")
        #expect(modem.bytes(Array("hi".utf8)) == "\r\nSEND OK\r\n")
        #expect(modem.lastSend == .send(id, Array("hi".utf8)))
    }
}
