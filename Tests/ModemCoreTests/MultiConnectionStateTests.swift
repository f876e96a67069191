import ModemCore
import ModemProtocol
import Testing

/// The 7 multi-connection states and the 6 client states, reached through inputs only, with the
/// exact bytes of `AT+CIPSTATUS` and `AT+CIPSTATUS=<n>` in both dialects.
@Suite("Multi-connection and client states")
struct MultiConnectionStateTests {
    func multiModem(_ dialect: StatusDialect) -> ModemHarness {
        var modem = ModemHarness(dialect: dialect, echo: false)
        #expect(modem.send("AT+CIPMUX=1") == "\r\nOK\r\n")
        return modem
    }

    func unused(_ dialect: StatusDialect, _ range: ClosedRange<Int>) -> [String] {
        range.map { dialect == .sim800 ? unusedSIM800($0) : unusedSpec($0) }
    }

    @Test("IP INITIAL, IP START, IP CONFIG, IP GPRSACT, IP STATUS with six unused links", arguments: StatusDialect.allCases)
    func bearerStates(dialect: StatusDialect) {
        var modem = multiModem(dialect)
        let idle = unused(dialect, 0...5)
        #expect(modem.status() == multiReply("IP INITIAL", idle))
        modem.send("AT+CSTT=\"internet\"")
        #expect(modem.status() == multiReply("IP START", idle))
        modem.send("AT+CIICR")
        #expect(modem.status() == "")
        #expect(
            modem.event(.contextActivationFailed)
                == "\r\n+PDP: DEACT\r\n\r\nERROR\r\n" + multiReply("IP CONFIG", idle))
        modem.send("AT+CIPSHUT")
        modem.send("AT+CSTT=\"internet\"")
        modem.send("AT+CIICR")
        modem.event(.contextActivated(localAddress: "10.64.0.2"))
        #expect(modem.status() == multiReply("IP GPRSACT", idle))
        modem.send("AT+CIFSR")
        #expect(modem.status() == multiReply("IP STATUS", idle))
    }

    @Test("IP PROCESSING with CONNECTING and CONNECTED links", arguments: StatusDialect.allCases)
    func ipProcessing(dialect: StatusDialect) {
        var modem = multiModem(dialect)
        modem.bringUp()
        #expect(modem.send("AT+CIPSTART=0,\"TCP\",\"127.0.0.1\",8080") == "\r\nOK\r\n")
        let first = modem.lastConnection!
        #expect(modem.send("AT+CIPSTART=1,\"UDP\",\"127.0.0.1\",\"5000\"") == "\r\nOK\r\n")
        let port = dialect == .sim800 ? "\"8080\"" : "8080"
        let udpPort = dialect == .sim800 ? "\"5000\"" : "5000"
        let connecting0 = "C: 0,0,\"TCP\",\"127.0.0.1\",\(port),\"CONNECTING\""
        let connecting1 = "C: 1,0,\"UDP\",\"127.0.0.1\",\(udpPort),\"CONNECTING\""
        #expect(modem.status() == multiReply("IP PROCESSING", [connecting0, connecting1] + unused(dialect, 2...5)))
        #expect(modem.event(.connected(first, remoteAddress: "127.0.0.1")) == "\r\n0, CONNECT OK\r\n")
        let connected0 = "C: 0,0,\"TCP\",\"127.0.0.1\",\(port),\"CONNECTED\""
        #expect(modem.status() == multiReply("IP PROCESSING", [connected0, connecting1] + unused(dialect, 2...5)))
        let linkLine = dialect == .sim800 ? "+CIPSTATUS: " + connected0.dropFirst(3) : String(connected0.dropFirst(3))
        #expect(modem.send("AT+CIPSTATUS=0") == "\r\n\(linkLine)\r\n\r\nOK\r\n")
    }

    @Test("PDP DEACT: the network drops the context, open links close", arguments: StatusDialect.allCases)
    func pdpDeact(dialect: StatusDialect) {
        var modem = multiModem(dialect)
        modem.bringUp()
        modem.connect(link: 2)
        #expect(modem.event(.contextDeactivated) == "\r\n2, CLOSED\r\n\r\n+PDP: DEACT\r\n")
        let port = dialect == .sim800 ? "\"8080\"" : "8080"
        let closed = "C: 2,0,\"TCP\",\"127.0.0.1\",\(port),\"CLOSED\""
        #expect(
            modem.status()
                == multiReply("PDP DEACT", unused(dialect, 0...1) + [closed] + unused(dialect, 3...5)))
    }

    @Test("the S: line while a server listens (sim800 only)", arguments: StatusDialect.allCases)
    func serverLine(dialect: StatusDialect) {
        var modem = multiModem(dialect)
        modem.bringUp()
        modem.send("AT+CIPSERVER=1,4010")
        modem.event(.listening(port: 4010))
        let server = dialect == .sim800 ? ["S: 0,0,\"4010\",\"LISTENING\""] : []
        #expect(modem.status() == multiReply("IP PROCESSING", server + unused(dialect, 0...5)))
        #expect(
            modem.event(.incomingConnection(token: 7, address: "127.0.0.1", port: 40000))
                == "\r\n0, REMOTE IP: 127.0.0.1\r\n")
        #expect(modem.actions.last == .accept(token: 7, as: modem.lastAccepted!))
        let port = dialect == .sim800 ? "\"40000\"" : "40000"
        let link = "C: 0,0,\"TCP\",\"127.0.0.1\",\(port),\"CONNECTED\""
        #expect(modem.status() == multiReply("IP PROCESSING", server + [link] + unused(dialect, 1...5)))
    }

    /// The six client states of one link, each read with `AT+CIPSTATUS=<n>`.
    @Test("client states INITIAL, CONNECTING, CONNECTED, REMOTE CLOSING, CLOSING, CLOSED", arguments: StatusDialect.allCases)
    func clientStates(dialect: StatusDialect) {
        var modem = multiModem(dialect)
        modem.bringUp()
        func line(_ n: Int, _ fields: String) -> String {
            let text = "\(n),\(fields)"
            return "\r\n" + (dialect == .sim800 ? "+CIPSTATUS: " + text : text) + "\r\n\r\nOK\r\n"
        }
        let port = dialect == .sim800 ? "\"9000\"" : "9000"
        let emptyPort = dialect == .sim800 ? "\"\"" : ""
        #expect(modem.send("AT+CIPSTATUS=3") == line(3, ",\"\",\"\",\(emptyPort),\"INITIAL\""))

        modem.send("AT+CIPRXGET=1")
        modem.send("AT+CIPSTART=3,\"TCP\",\"127.0.0.1\",9000")
        let id = modem.lastConnection!
        #expect(modem.send("AT+CIPSTATUS=3") == line(3, "0,\"TCP\",\"127.0.0.1\",\(port),\"CONNECTING\""))

        modem.event(.connected(id, remoteAddress: "127.0.0.1"))
        #expect(modem.send("AT+CIPSTATUS=3") == line(3, "0,\"TCP\",\"127.0.0.1\",\(port),\"CONNECTED\""))

        // The peer sends data and closes while the data is unread: REMOTE CLOSING until it is read.
        #expect(modem.event(.received(id, Array("hello".utf8))) == "\r\n+CIPRXGET: 1,3\r\n")
        #expect(modem.event(.remoteClosed(id)) == "")
        #expect(modem.send("AT+CIPSTATUS=3") == line(3, "0,\"TCP\",\"127.0.0.1\",\(port),\"REMOTE CLOSING\""))
        #expect(modem.send("AT+CIPRXGET=2,3,100") == "\r\n+CIPRXGET: 2,3,5,0\r\nhello\r\nOK\r\n\r\n3, CLOSED\r\n")
        #expect(modem.send("AT+CIPSTATUS=3") == line(3, "0,\"TCP\",\"127.0.0.1\",\(port),\"CLOSED\""))

        // A graceful close: CLOSING until the network reports the close.
        modem.send("AT+CIPSTART=3,\"TCP\",\"127.0.0.1\",9000")
        let second = modem.lastConnection!
        modem.event(.connected(second, remoteAddress: "127.0.0.1"))
        #expect(modem.send("AT+CIPCLOSE=3") == "\r\n3, CLOSE OK\r\n")
        #expect(modem.send("AT+CIPSTATUS=3") == line(3, "0,\"TCP\",\"127.0.0.1\",\(port),\"CLOSING\""))
        modem.event(.closed(second))
        #expect(modem.send("AT+CIPSTATUS=3") == line(3, "0,\"TCP\",\"127.0.0.1\",\(port),\"CLOSED\""))
    }

    @Test("AT+CIPSGTXT selects the bearer new links report", arguments: StatusDialect.allCases)
    func bearer(dialect: StatusDialect) {
        var modem = multiModem(dialect)
        modem.bringUp()
        #expect(modem.send("AT+CIPSGTXT=1") == "\r\nOK\r\n")
        #expect(modem.send("AT+CIPSGTXT?") == "\r\n+CIPSGTXT: 1\r\n\r\nOK\r\n")
        modem.connect(link: 0)
        let port = dialect == .sim800 ? "\"8080\"" : "8080"
        let prefix = dialect == .sim800 ? "+CIPSTATUS: " : ""
        #expect(
            modem.send("AT+CIPSTATUS=0") == "\r\n\(prefix)0,1,\"TCP\",\"127.0.0.1\",\(port),\"CONNECTED\"\r\n\r\nOK\r\n")
    }
}
