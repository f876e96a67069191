import ModemCore
import ModemProtocol
import Testing

@Suite("Commands")
struct CommandTests {
    @Test("echo is on after power-on and repeats the line as typed, CR included")
    func echo() {
        var modem = ModemHarness()
        #expect(modem.send("AT") == "AT\r\r\nOK\r\n")
        #expect(modem.send("ATE0") == "ATE0\r\r\nOK\r\n")
        #expect(modem.send("AT") == "\r\nOK\r\n")
    }

    @Test("ATV0 gives numeric result codes and unframed information text")
    func numericResults() {
        var modem = ModemHarness(echo: false)
        #expect(modem.send("ATV0") == "0\r")
        #expect(modem.send("AT+NOSUCH") == "4\r")
        #expect(modem.send("AT+CIPMUX?") == "+CIPMUX: 0\r\n0\r")
        #expect(modem.send("ATV1") == "\r\nOK\r\n")
    }

    @Test("AT+CIFSR;E0: the address alone, then the OK of the second command")
    func cifsrChain() {
        var modem = ModemHarness()
        modem.send("AT+CSTT=\"internet\"")
        modem.send("AT+CIICR")
        modem.event(.contextActivated(localAddress: "10.64.0.2"))
        #expect(modem.send("AT+CIFSR;E0") == "AT+CIFSR;E0\r\r\n10.64.0.2\r\n\r\nOK\r\n")
        #expect(modem.send("AT") == "\r\nOK\r\n")
    }

    @Test("a command written in fragments, with the LF after the prompt not taken as payload")
    func fragments() {
        // TinyGSM ends its lines with CRLF and may write the LF on its own.
        var modem = ModemHarness()
        modem.lineEnd = "\r\n"
        modem.echoOff()
        modem.send("AT+CIPMUX=1")
        modem.bringUp()
        let id = modem.connect(link: 0)
        var output = ""
        for piece in ["AT", "+CIPSEND=", "0", ",", "5", "\r"] { output += modem.bytes(Array(piece.utf8)) }
        #expect(output == "\r\n> ")
        #expect(modem.bytes([0x0A]) == "")
        #expect(modem.bytes(Array("he".utf8)) == "")
        #expect(modem.bytes(Array("llo".utf8)) == "\r\n0, SEND OK\r\n")
        #expect(modem.lastSend == .send(id, Array("hello".utf8)))
    }

    @Test("AT+CIPSEND forms: Ctrl-Z data, fixed length, DATA ACCEPT under AT+CIPQSEND=1, ESC cancels")
    func sendForms() {
        var modem = ModemHarness(echo: false)
        modem.bringUp()
        let id = modem.connect()
        #expect(modem.send("AT+CIPSEND") == "\r\n> ")
        #expect(modem.bytes(Array("abc".utf8) + [0x1A]) == "\r\nSEND OK\r\n")
        #expect(modem.lastSend == .send(id, Array("abc".utf8)))
        #expect(modem.send("AT+CIPQSEND=1") == "\r\nOK\r\n")
        #expect(modem.send("AT+CIPSEND=4") == "\r\n> ")
        #expect(modem.bytes([0x0D, 0x0A, 0x1A, 0x1B]) == "\r\nDATA ACCEPT:4\r\n")
        #expect(modem.lastSend == .send(id, [0x0D, 0x0A, 0x1A, 0x1B]))
        let count = modem.actions.count
        #expect(modem.send("AT+CIPSEND") == "\r\n> ")
        #expect(modem.bytes(Array("never".utf8) + [0x1B]) == "")
        #expect(modem.actions.count == count)
        #expect(modem.send("AT") == "\r\nOK\r\n")
    }

    @Test("SEND FAIL when the peer closes during the data phase; the CLOSED URC waits for the result")
    func sendFail() {
        var modem = ModemHarness(echo: false)
        modem.send("AT+CIPMUX=1")
        modem.bringUp()
        let id = modem.connect(link: 2)
        #expect(modem.send("AT+CIPSEND=2") == "\r\n> ")
        #expect(modem.event(.remoteClosed(id)) == "")
        #expect(modem.bytes(Array("data".utf8) + [0x1A]) == "\r\n2, SEND FAIL\r\n\r\n2, CLOSED\r\n")
    }

    @Test("received data: raw in single mode, +IPD with AT+CIPHEAD=1, +RECEIVE in multi mode")
    func receivedData() {
        var single = ModemHarness(echo: false)
        single.bringUp()
        let id = single.connect()
        #expect(single.event(.received(id, Array("raw".utf8))) == "raw")
        single.send("AT+CIPHEAD=1")
        #expect(single.event(.received(id, Array("hd".utf8))) == "\r\n+IPD,2:hd")

        var multi = ModemHarness(echo: false)
        multi.send("AT+CIPMUX=1")
        multi.bringUp()
        let link = multi.connect(link: 4)
        #expect(multi.event(.received(link, Array("hello".utf8))) == "\r\n+RECEIVE,4,5:\r\nhello")
    }

    @Test("AT+CIPRXGET modes 2, 3 and 4 in single and multi mode")
    func manualReceive() {
        var single = ModemHarness(echo: false)
        single.send("AT+CIPRXGET=1")
        single.bringUp()
        let id = single.connect()
        #expect(single.event(.received(id, [0x41, 0x0D, 0x0A, 0xFF])) == "\r\n+CIPRXGET: 1\r\n")
        #expect(single.event(.received(id, [0x42])) == "")
        #expect(single.send("AT+CIPRXGET=4") == "\r\n+CIPRXGET: 4,5\r\n\r\nOK\r\n")
        #expect(single.send("AT+CIPRXGET=3,2") == "\r\n+CIPRXGET: 3,2,3\r\n410D\r\nOK\r\n")
        let reply = single.send("AT+CIPRXGET=2,10")
        #expect(reply == "\r\n+CIPRXGET: 2,3,0\r\n\n\u{FFFD}B\r\nOK\r\n")

        var multi = ModemHarness(echo: false)
        multi.send("AT+CIPMUX=1")
        multi.send("AT+CIPRXGET=1")
        multi.bringUp()
        let link = multi.connect(link: 1)
        #expect(multi.event(.received(link, Array("0123456789".utf8))) == "\r\n+CIPRXGET: 1,1\r\n")
        #expect(multi.send("AT+CIPRXGET=4,1") == "\r\n+CIPRXGET: 4,1,10\r\n\r\nOK\r\n")
        #expect(multi.send("AT+CIPRXGET=2,1,4") == "\r\n+CIPRXGET: 2,1,4,6\r\n0123\r\nOK\r\n")
        #expect(multi.send("AT+CIPRXGET=2,1,100") == "\r\n+CIPRXGET: 2,1,6,0\r\n456789\r\nOK\r\n")
        #expect(multi.send("AT+CIPRXGET=2,1,100") == "\r\n+CIPRXGET: 2,1,0,0\r\n\r\nOK\r\n")
        // New data after the buffer emptied announces itself again.
        #expect(multi.event(.received(link, [0x21])) == "\r\n+CIPRXGET: 1,1\r\n")
    }

    @Test("a full receive buffer pauses the socket; reading below half resumes it; UDP drops instead")
    func receiveBackPressure() {
        var modem = ModemHarness(echo: false) { $0.receiveBufferLimit = 8 }
        modem.send("AT+CIPMUX=1")
        modem.send("AT+CIPRXGET=1")
        modem.bringUp()
        let tcp = modem.connect(link: 0)
        modem.event(.received(tcp, Array(repeating: 1, count: 8)))
        #expect(modem.actions.last == .pauseReading(tcp))
        modem.send("AT+CIPRXGET=2,0,2")
        #expect(modem.actions.last == .pauseReading(tcp))
        modem.send("AT+CIPRXGET=2,0,2")
        #expect(modem.actions.last == .resumeReading(tcp))

        let udp = modem.connect(link: 1, transport: .udp, port: 5000)
        modem.event(.received(udp, Array(repeating: 2, count: 6)))
        modem.event(.received(udp, Array(repeating: 3, count: 6)))
        #expect(modem.modem.snapshot.unreadBytes[1] == 6)
    }

    @Test("CONNECT FAIL after the module's connect timeout, with the state line first in single mode")
    func connectTimeout() {
        var modem = ModemHarness(echo: false) { $0.timeouts.connect = .milliseconds(300) }
        modem.bringUp()
        modem.send("AT+CIPSTART=\"TCP\",\"192.0.2.1\",80")
        let id = modem.lastConnection!
        #expect(modem.actions.last == .startTimer(.connect(id), after: .milliseconds(300)))
        #expect(modem.fire(.connect(id)) == "\r\nSTATE: TCP CLOSED\r\n\r\nCONNECT FAIL\r\n")
        #expect(modem.actions.last == .cancelTimer(.connect(id)))
        #expect(modem.actions.contains(.close(id, graceful: false)))
        #expect(modem.status() == "\r\nOK\r\n\r\nSTATE: TCP CLOSED\r\n")
        // Reconnecting after a close needs no AT+CIPSHUT.
        #expect(modem.send("AT+CIPSTART=\"TCP\",\"127.0.0.1\",80") == "\r\nOK\r\n")
    }

    @Test("a refused connection in multi mode: <n>, CONNECT FAIL")
    func refusedMulti() {
        var modem = ModemHarness(echo: false)
        modem.send("AT+CIPMUX=1")
        modem.bringUp()
        modem.send("AT+CIPSTART=3,\"TCP\",\"127.0.0.1\",1")
        #expect(modem.event(.connectFailed(modem.lastConnection!)) == "\r\n3, CONNECT FAIL\r\n")
    }

    @Test("AT+CIPSTART in IP INITIAL brings the context up itself (single mode)")
    func autoActivation() {
        var modem = ModemHarness(echo: false)
        #expect(modem.send("AT+CIPSTART=\"TCP\",\"127.0.0.1\",80") == "\r\nOK\r\n")
        #expect(modem.actions.contains(.activateContext(apn: "CMNET", user: "", password: "")))
        #expect(modem.status() == "\r\nOK\r\n\r\nSTATE: TCP CONNECTING\r\n")
        modem.event(.contextActivated(localAddress: "10.64.0.9"))
        let id = modem.lastConnection!
        #expect(modem.actions.last == .startTimer(.connect(id), after: .seconds(75)))
        #expect(modem.event(.connected(id, remoteAddress: "127.0.0.1")) == "\r\nCONNECT OK\r\n")
    }

    @Test("AT+CIPSERVER in single mode: REMOTE IP, CONNECT OK, back to SERVER LISTENING")
    func singleServer() {
        var modem = ModemHarness(echo: false)
        modem.bringUp()
        modem.send("AT+CIPSERVER=1,2000")
        modem.event(.listening(port: 2000))
        #expect(modem.event(.incomingConnection(token: 1, address: "127.0.0.1", port: 50000)) == "\r\nREMOTE IP: 127.0.0.1\r\n")
        #expect(modem.status() == "\r\nOK\r\n\r\nSTATE: CONNECT OK\r\n")
        // A second peer finds no free link.
        modem.event(.incomingConnection(token: 2, address: "127.0.0.1", port: 50001))
        #expect(modem.actions.last == .reject(token: 2))
        modem.event(.remoteClosed(modem.lastAccepted!))
        #expect(modem.status() == "\r\nOK\r\n\r\nSTATE: SERVER LISTENING\r\n")
        #expect(modem.send("AT+CIPSERVER=0") == "\r\nOK\r\n\r\nSERVER CLOSE\r\n")
        #expect(modem.actions.last == .stopListening)
    }

    @Test("AT+CDNSGIP: OK, then the answer as a URC")
    func dnsQuery() {
        var modem = ModemHarness(echo: false)
        modem.bringUp()
        #expect(modem.send("AT+CDNSGIP=\"localhost\"") == "\r\nOK\r\n")
        guard case .resolve(let query, "localhost") = modem.actions.dropLast().last else {
            Issue.record("no resolve action: \(modem.actions)")
            return
        }
        #expect(modem.event(.resolved(query: query, addresses: ["127.0.0.1"])) == "\r\n+CDNSGIP: 1,\"localhost\",\"127.0.0.1\"\r\n")
        modem.send("AT+CDNSGIP=\"nowhere.invalid\"")
        guard case .resolve(let second, _) = modem.actions.dropLast().last else { return }
        #expect(modem.fire(.dnsQuery(second)) == "\r\n+CDNSGIP: 0,8\r\n")
    }

    @Test("read and test forms report the settings")
    func readAndTestForms() {
        var modem = ModemHarness(echo: false)
        #expect(modem.send("AT+CIPSTATUS=?") == "\r\nOK\r\n")
        #expect(modem.send("AT+CIPMUX=?") == "\r\n+CIPMUX: (0,1)\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CMEE=?") == "\r\n+CMEE: (0-2)\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CSTT?") == "\r\n+CSTT: \"CMNET\",\"\",\"\"\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CDNSCFG=\"8.8.8.8\",\"8.8.4.4\"") == "\r\nOK\r\n")
        #expect(modem.send("AT+CDNSCFG?") == "\r\nPrimaryDns: 8.8.8.8\r\n\r\nSecondaryDns: 8.8.4.4\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CGATT?") == "\r\n+CGATT: 1\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CIPRXGET?") == "\r\n+CIPRXGET: 0\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CIPSERVER?") == "\r\n+CIPSERVER: 0\r\n\r\nOK\r\n")
    }

    @Test("reset drops every connection and announces the reboot")
    func reset() {
        var modem = ModemHarness(echo: false)
        modem.bringUp()
        let id = modem.connect()
        let before = modem.actions.count
        let output = modem.reset()
        #expect(modem.actions[before...].contains(.close(id, graceful: false)))
        #expect(output == "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n")
        #expect(modem.modem.connection(onLink: 0) == nil)
        #expect(modem.send("AT+CIPSTATUS") == "AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: IP INITIAL\r\n")
    }
}

@Suite("Echo")
struct EchoTests {
    @Test("the LF of a CRLF line end is not echoed, even when it arrives after the reply")
    func lineFeedNotEchoed() {
        var modem = ModemHarness()
        #expect(modem.bytes(Array("AT\r\n".utf8)) == "AT\r\r\nOK\r\n")
        #expect(modem.bytes(Array("AT\r".utf8)) == "AT\r\r\nOK\r\n")
        #expect(modem.bytes([0x0A]) == "")
        // A lone LF ends a line too (hosts that send \n only) and is echoed as typed.
        #expect(modem.bytes(Array("AT\n".utf8)) == "AT\n\r\nOK\r\n")
    }
}

@Suite("Command line reports")
struct CommandLineReportTests {
    @Test("with reportsCommandLines on, each command line is reported; AT+CIPSEND data is not a command")
    func reportsLinesNotData() {
        var modem = ModemHarness()
        modem.modem.reportsCommandLines = true
        modem.echoOff()
        modem.bringUp()
        modem.connect()
        modem.send("AT+CIPSEND")
        modem.bytes(Array("AT+CSQ\r".utf8) + [0x1A])
        let lines = modem.actions.compactMap { action -> String? in
            if case .commandLine(let line) = action { return line }
            return nil
        }
        #expect(lines == ["ATE0", "AT+CSTT=\"internet\"", "AT+CIICR", "AT+CIFSR", "AT+CIPSTART=\"TCP\",\"127.0.0.1\",8080", "AT+CIPSEND"])
    }

    @Test("off by default: no report")
    func offByDefault() {
        var modem = ModemHarness()
        modem.send("AT")
        #expect(!modem.actions.contains { if case .commandLine = $0 { true } else { false } })
    }
}

@Suite("Response times")
struct ResponseTimeTests {
    @Test("AT+CIPSHUT with a context up answers SHUT OK after its response time; the state is IP INITIAL at once")
    func delayedShut() {
        var modem = ModemHarness(echo: false) { $0.responseTimes.shut = .milliseconds(700) }
        modem.bringUp()
        let id = modem.connect()
        #expect(modem.send("AT+CIPSHUT") == "")
        #expect(modem.actions.contains(.close(id, graceful: false)))
        #expect(modem.actions.last == .startTimer(.response, after: .milliseconds(700)))
        // Typed meanwhile: answered after SHUT OK.
        #expect(modem.status() == "")
        #expect(modem.fire(.response) == "\r\nSHUT OK\r\n\r\nOK\r\n\r\nSTATE: IP INITIAL\r\n")
        // Without a context there is nothing to deactivate: at once.
        #expect(modem.send("AT+CIPSHUT") == "\r\nSHUT OK\r\n")
    }
}
