import ModemCore
import ModemProtocol
import Testing

/// Calls, USSD, network time, location, HTTP and GNSS in the module's reply shapes.
@Suite("Service commands")
struct ServiceCommandTests {
    @Test("ATD<n>; answers OK, the call alerts until ATH; unanswered, the network releases it")
    func voiceCall() {
        var modem = ModemHarness(echo: false)
        #expect(modem.send("ATA") == "\r\nNO CARRIER\r\n")
        #expect(modem.send("AT+VTS=5") == "\r\nERROR\r\n")
        #expect(modem.send("ATD+15551234567;") == "\r\nOK\r\n")
        #expect(modem.actions.contains(.startTimer(.callUnanswered, after: .seconds(30))))
        #expect(modem.send("AT+CLCC") == "\r\n+CLCC: 1,0,3,0,0,\"+15551234567\",145,\"\"\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CPAS") == "\r\n+CPAS: 4\r\n\r\nOK\r\n")
        #expect(modem.send("AT+VTS=5") == "\r\nOK\r\n")
        #expect(modem.send("ATH") == "\r\nOK\r\n")
        #expect(modem.send("AT+CPAS") == "\r\n+CPAS: 0\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CLCC") == "\r\nOK\r\n")
        // ATDL redials; nobody answers.
        #expect(modem.send("ATDL") == "\r\nOK\r\n")
        #expect(modem.fire(.callUnanswered) == "\r\nNO CARRIER\r\n")
        #expect(modem.send("AT+CPAS") == "\r\n+CPAS: 0\r\n\r\nOK\r\n")
    }

    @Test("With AT+COLP=1, ATD waits for an answer that never comes: NO ANSWER")
    func connectedLinePresentation() {
        var modem = ModemHarness(echo: false)
        modem.send("AT+COLP=1")
        #expect(modem.send("ATD5551234;") == "")
        #expect(modem.send("AT") == "")
        #expect(modem.fire(.callUnanswered) == "\r\nNO ANSWER\r\n\r\nOK\r\n")
    }

    @Test("Calls fail as a module does: a data call, no network, a bad number")
    func callFailures() {
        var modem = ModemHarness(echo: false)
        #expect(modem.send("ATD5551234") == "\r\nNO CARRIER\r\n")
        #expect(modem.send("ATD55x;") == "\r\nERROR\r\n")
        #expect(modem.send("AT+CMIC=10") == "\r\nERROR\r\n")
        // Coverage lost during a call releases it.
        modem.send("ATD5551234;")
        #expect(modem.event(.registrationChanged(registered: false)) == "\r\nNO CARRIER\r\n")
        #expect(modem.send("AT+CPAS") == "\r\n+CPAS: 0\r\n\r\nOK\r\n")
        #expect(modem.send("ATD5551234;") == "\r\nNO DIALTONE\r\n")
    }

    @Test("Audio settings read back", arguments: [
        ("AT+CLVL=50", "AT+CLVL?", "+CLVL: 50"), ("AT+CHFA=1", "AT+CHFA?", "+CHFA: 1"),
        ("AT+CMIC=0,10", "AT+CMIC?", "+CMIC: 10,0,0,0"), ("AT+GSMBUSY=1", "AT+GSMBUSY?", "+GSMBUSY: 1"),
        ("AT+CFGRI=1", "AT+CFGRI?", "+CFGRI: 1"), ("AT+VTD=1", "AT+VTD?", "+VTD: 1"),
    ])
    func audio(write: String, read: String, reply: String) {
        var modem = ModemHarness(echo: false)
        #expect(modem.send(write) == "\r\nOK\r\n")
        #expect(modem.send(read) == "\r\n\(reply)\r\n\r\nOK\r\n")
    }

    @Test("AT+CUSD=1,\"<code>\": OK, then +CUSD: 0,\"<reply>\",15; in hex under AT+CSCS=\"HEX\"")
    func ussd() {
        var modem = ModemHarness(echo: false)
        let text = "ModemKit Test Network: no USSD service"
        #expect(modem.send("AT+CUSD=1,\"*100#\"") == "\r\nOK\r\n\r\n+CUSD: 0,\"\(text)\",15\r\n")
        modem.send("AT+CSCS=\"HEX\"")
        let hex = text.utf8.map { String($0, radix: 16, uppercase: true) }.joined()
        #expect(modem.send("AT+CUSD=1,\"*100#\"") == "\r\nOK\r\n\r\n+CUSD: 0,\"\(hex)\",15\r\n")
        #expect(modem.send("AT+CUSD=2") == "\r\nOK\r\n")
        #expect(modem.send("AT+CUSD=3") == "\r\nERROR\r\n")
    }

    @Test("AT+CNTP: +CNTP: 1 through an open bearer (the clock takes the network's time), else 61")
    func networkTime() {
        var modem = ModemHarness(echo: false)
        modem.modem.networkClock = {
            NetworkTime(year: 2026, month: 12, day: 1, hour: 21, minute: 30, second: 5, quarterHours: 4)
        }
        #expect(modem.send("AT+CNTPCID=1") == "\r\nOK\r\n")
        #expect(modem.send("AT+CNTP=\"pool.ntp.org\",-8") == "\r\nOK\r\n")
        #expect(modem.send("AT+CNTP?") == "\r\n+CNTP: \"pool.ntp.org\",-8\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CNTP") == "\r\nOK\r\n\r\n+CNTP: 61\r\n")
        modem.openBearer()
        #expect(modem.send("AT+CNTP") == "\r\nOK\r\n\r\n+CNTP: 1\r\n")
        #expect(modem.send("AT+CCLK?") == "\r\n+CCLK: \"26/12/01,21:30:05+04\"\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CNTP=\"pool.ntp.org\",49") == "\r\nERROR\r\n")
        #expect(modem.send("AT+CNTPCID=0") == "\r\nERROR\r\n")
    }

    @Test("Cell location through the bearer: AT+CLBS and AT+CIPGSMLOC")
    func location() {
        var modem = ModemHarness(echo: false)
        #expect(modem.send("AT+CIPGSMLOC=1,1") == "\r\n+CIPGSMLOC: 601\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CLBS=1,1") == "\r\n+CLBS: 3\r\n\r\nOK\r\n")
        modem.openBearer()
        #expect(modem.send("AT+CLBS=1,1") == "\r\n+CLBS: 0,2.294481,48.858370,550\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CLBS=4,1") == "\r\n+CLBS: 0,2.294481,48.858370,550,04/01/01,00:00:00\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CIPGSMLOC=1,1")
            == "\r\n+CIPGSMLOC: 0,2.294481,48.858370,2004/01/01,00:00:00\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CIPGSMLOC=2,1") == "\r\n+CIPGSMLOC: 0,2004/01/01,00:00:00\r\n\r\nOK\r\n")
        var sim900 = ModemHarness(echo: false) { $0.model = .sim900 }
        #expect(sim900.send("AT+CLBS=1,1") == "\r\nERROR\r\n")
    }

    @Test("HTTP: INIT, PARA, DATA with DOWNLOAD, ACTION with status 601, READ, TERM")
    func http() {
        var modem = ModemHarness(echo: false)
        #expect(modem.send("AT+HTTPPARA=\"URL\",\"http://example.com/\"") == "\r\nERROR\r\n")
        #expect(modem.send("AT+HTTPTERM") == "\r\nERROR\r\n")
        modem.openBearer()
        #expect(modem.send("AT+HTTPINIT") == "\r\nOK\r\n")
        #expect(modem.send("AT+HTTPINIT") == "\r\nERROR\r\n")
        let setup = "AT+HTTPPARA=\"CID\",1;+HTTPPARA=\"URL\",\"http://example.com/\";+HTTPSSL=0"
        #expect(modem.send(setup) == "\r\nOK\r\n")
        #expect(modem.send("AT+HTTPPARA=\"BOGUS\",1") == "\r\nERROR\r\n")
        #expect(modem.send("AT+HTTPDATA=12,10000") == "\r\nDOWNLOAD\r\n")
        #expect(modem.bytes(Array("{\"a\":\"b\"}\r\n\r\n".utf8.prefix(12))) == "\r\nOK\r\n")
        #expect(modem.actions.contains(.cancelTimer(.httpData)))
        #expect(modem.send("AT+HTTPACTION=1") == "\r\nOK\r\n\r\n+HTTPACTION: 1,601,0\r\n")
        #expect(modem.send("AT+HTTPREAD") == "\r\nOK\r\n")
        #expect(modem.send("AT+HTTPSTATUS?") == "\r\n+HTTPSTATUS: POST,0,0,0\r\n\r\nOK\r\n")
        // A body that never comes: OK when the time limit passes.
        #expect(modem.send("AT+HTTPDATA=5,1000") == "\r\nDOWNLOAD\r\n")
        #expect(modem.fire(.httpData) == "\r\nOK\r\n")
        #expect(modem.send("AT+HTTPTERM") == "\r\nOK\r\n")
        #expect(modem.send("AT+HTTPTERM") == "\r\nERROR\r\n")
    }

    @Test("AT+CIPSSL=? prints (0-1); AT+CIPSSL=1,1 is taken")
    func cipssl() {
        var modem = ModemHarness(echo: false)
        #expect(modem.send("AT+CIPSSL=?") == "\r\n+CIPSSL: (0-1)\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CIPSSL=1,1") == "\r\nOK\r\n")
        #expect(modem.send("AT+CIPSSL?") == "\r\n+CIPSSL: 1\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CIPSSL=2") == "\r\nERROR\r\n")
    }

    @Test("GNSS on a SIM808: power, a fix at the configured position; ERROR on a SIM800 and SIM900")
    func gnss() {
        var sim808 = ModemHarness(echo: false) { $0.model = .sim808 }
        #expect(sim808.send("AT+CGNSINF") == "\r\n+CGNSINF: 0,,,,,,,,,,,,,,,,,,,,\r\n\r\nOK\r\n")
        #expect(sim808.send("AT+CGNSPWR=1") == "\r\nOK\r\n")
        #expect(sim808.send("AT+CGNSPWR?") == "\r\n+CGNSPWR: 1\r\n\r\nOK\r\n")
        let fix = "1,1,20040101000000.000,48.858370,2.294481,35.000,0.00,0.0,1,,0.9,1.2,0.8,,12,9,,,45,,"
        #expect(sim808.send("AT+CGNSINF") == "\r\n+CGNSINF: \(fix)\r\n\r\nOK\r\n")
        #expect(sim808.send("AT+CGPSSTATUS?") == "\r\n+CGPSSTATUS: Location 3D Fix\r\n\r\nOK\r\n")
        #expect(sim808.send("AT+CGPSINF=32") == "\r\n+CGPSINF: 32,000000.000,A,4851.5022,N,00217.6689,E,0.000,0.00,"
            + "010104,,,A\r\n\r\nOK\r\n")
        #expect(sim808.send("AT+CGPSINF=2") == "\r\nERROR\r\n")
        #expect(sim808.send("AT+CGNSPWR=2") == "\r\nERROR\r\n")
        for model in [ModuleFamily.sim800, .sim900] {
            var other = ModemHarness(echo: false) { $0.model = model }
            for line in ["AT+CGNSPWR=1", "AT+CGNSINF", "AT+CGPSPWR=1", "AT+CGPSSTATUS?"] {
                #expect(other.send(line) == "\r\nERROR\r\n")
            }
        }
    }

    @Test("Phonebook: write, read, delete")
    func phonebook() {
        var modem = ModemHarness(echo: false)
        #expect(modem.send("AT+CPBR=1") == "\r\nOK\r\n")
        #expect(modem.send("AT+CPBW=1,\"+15551234567\",145,\"Alice\"") == "\r\nOK\r\n")
        #expect(modem.send("AT+CPBR=1") == "\r\n+CPBR: 1,\"+15551234567\",145,\"Alice\"\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CPBW=1") == "\r\nOK\r\n")
        #expect(modem.send("AT+CPBR=1,5") == "\r\nOK\r\n")
        #expect(modem.send("AT+CPBW=251,\"1\"") == "\r\nERROR\r\n")
    }
}
