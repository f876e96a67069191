import ModemCore
import ModemProtocol
import Testing

/// The general commands drivers send before any TCP/IP work, answered as a SIM800 answers them
/// (docs/research/drivers.md lists what TinyGSM and sim800l-gsm-module parse).
@Suite("General commands")
struct GeneralCommandTests {
    static let replies: [(String, String)] = [
        ("AT+CPIN?", "\r\n+CPIN: READY\r\n\r\nOK\r\n"),
        ("AT+CSMINS?", "\r\n+CSMINS: 0,1\r\n\r\nOK\r\n"),
        ("AT+CREG?", "\r\n+CREG: 0,1\r\n\r\nOK\r\n"),
        ("AT+CGREG?", "\r\n+CGREG: 0,1\r\n\r\nOK\r\n"),
        ("AT+CSQ", "\r\n+CSQ: 20,0\r\n\r\nOK\r\n"),
        ("AT+COPS?", "\r\n+COPS: 0,0,\"ModemKit Test Network\"\r\n\r\nOK\r\n"),
        ("AT+GSN", "\r\n001010123456780\r\n\r\nOK\r\n"),
        ("AT+CGSN", "\r\n001010123456780\r\n\r\nOK\r\n"),
        ("AT+CCID", "\r\n89001010000000000019\r\n\r\nOK\r\n"),
        ("AT+CIMI", "\r\n001010000000001\r\n\r\nOK\r\n"),
        ("ATI", "\r\nSIM800 R14.18\r\n\r\nOK\r\n"),
        ("AT+GMR", "\r\nRevision:1418B04SIM800L24\r\n\r\nOK\r\n"),
        ("AT+CGMI", "\r\nSIMCOM_Ltd\r\n\r\nOK\r\n"),
        ("AT+CGMM", "\r\nSIMCOM_SIM800L\r\n\r\nOK\r\n"),
        ("AT+CFUN?", "\r\n+CFUN: 1\r\n\r\nOK\r\n"),
        ("AT&W", "\r\nOK\r\n"),
        ("AT+IPR=115200", "\r\nOK\r\n"),
        ("AT+IPR?", "\r\n+IPR: 115200\r\n\r\nOK\r\n"),
        ("AT+IFC=0,0", "\r\nOK\r\n"),
        ("AT+IFC?", "\r\n+IFC: 0,0\r\n\r\nOK\r\n"),
        ("AT+ICF=3,3", "\r\nOK\r\n"),
        ("AT+ICF?", "\r\n+ICF: 3,3\r\n\r\nOK\r\n"),
        ("AT+CLTS=1", "\r\nOK\r\n"),
        ("AT+CSCLK=0", "\r\nOK\r\n"),
        ("AT+CBC", "\r\n+CBC: 0,76,4012\r\n\r\nOK\r\n"),
        ("AT+CCLK?", "\r\n+CCLK: \"04/01/01,00:00:00+00\"\r\n\r\nOK\r\n"),
        ("AT+CSPN?", "\r\n+CSPN: \"ModemKit Test Network\",0\r\n\r\nOK\r\n"),
        ("AT+CNETLIGHT=0", "\r\nOK\r\n"),
        ("AT+CBATCHK=1", "\r\nOK\r\n"),
        ("AT+CGDCONT=1,\"IP\",\"internet\"", "\r\nOK\r\n"),
        ("AT+CIPSSL=0", "\r\nOK\r\n"),
        ("AT+CPOWD=1", "\r\nNORMAL POWER DOWN\r\n"),
        // TinyGSM's factoryDefault() and the Python driver's setup() chains.
        ("AT&FZE0&W", "\r\nOK\r\n"),
        ("AT+CLIP=1;+CMGF=0;+CLTS=1;+CSCLK=0;+CSCS=\"HEX\"", "\r\nOK\r\n"),
    ]

    @Test("replies", arguments: replies)
    func reply(command: String, expected: String) {
        var modem = ModemHarness(echo: false)
        #expect(modem.send(command) == expected)
    }

    @Test("AT+CREG=1 reports registration changes; AT+CFUN=0 drops the network, =1 brings it back")
    func registrationURCs() {
        var modem = ModemHarness(echo: false)
        #expect(modem.send("AT+CREG=1") == "\r\nOK\r\n")
        modem.bringUp()
        modem.connect()
        // Every URC of the radio going off comes before the OK, as on a real SIM808 (TinyGSM #466).
        #expect(modem.send("AT+CFUN=0") == "\r\nCLOSED\r\n\r\n+PDP: DEACT\r\n\r\n+CPIN: NOT READY\r\n\r\n+CREG: 0\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CREG?") == "\r\n+CREG: 1,0\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CSQ") == "\r\n+CSQ: 99,0\r\n\r\nOK\r\n")
        #expect(modem.status() == "\r\nOK\r\n\r\nSTATE: PDP DEACT\r\n")
        #expect(modem.send("AT+CFUN=1") == "\r\nOK\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n\r\n+CREG: 1\r\n")
    }

    @Test("AT+CFUN=0 closes open AT+SAPBR bearers too: `+SAPBR 1: DEACT`, then `+PDP: DEACT` (TinyGSM #466)")
    func radioOffClosesBearers() {
        // Only the bearer open (sim800l-gsm-module's connect_gprs): it used to stay open with the radio off.
        var modem = ModemHarness(echo: false)
        modem.send("AT+SAPBR=3,1,\"APN\",\"internet\"")
        modem.send("AT+SAPBR=1,1")
        modem.event(.bearerActivated(profile: 1, localAddress: "10.64.0.2"))
        #expect(modem.send("AT+CFUN=0") == "\r\n+SAPBR 1: DEACT\r\n\r\n+CPIN: NOT READY\r\n\r\nOK\r\n")
        #expect(modem.actions.last == .deactivateBearer(profile: 1))
        #expect(modem.send("AT+SAPBR=2,1") == "\r\n+SAPBR: 1,3,\"0.0.0.0\"\r\n\r\nOK\r\n")

        // TinyGSM's gprsConnect (bearer and context): the order of the real SIM808 R14.18 log.
        var both = ModemHarness(echo: false)
        both.send("AT+SAPBR=1,1")
        both.event(.bearerActivated(profile: 1, localAddress: "10.64.0.2"))
        both.bringUp()
        #expect(
            both.send("AT+CFUN=0")
                == "\r\n+SAPBR 1: DEACT\r\n\r\n+PDP: DEACT\r\n\r\n+CPIN: NOT READY\r\n\r\nOK\r\n")
        #expect(both.send("AT+SAPBR=2,1") == "\r\n+SAPBR: 1,3,\"0.0.0.0\"\r\n\r\nOK\r\n")
    }

    @Test("AT+CFUN=1,1 answers OK, then reboots with the power-on URCs")
    func reboot() {
        var modem = ModemHarness(echo: false)
        modem.send("AT+CIPMUX=1")
        modem.bringUp()
        let id = modem.connect(link: 0)
        #expect(
            modem.send("AT+CFUN=1,1")
                == "\r\nOK\r\n\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n")
        #expect(modem.actions.contains(.close(id, graceful: false)))
        // Echo and single-connection mode are back.
        #expect(modem.send("AT+CIPMUX?") == "AT+CIPMUX?\r\r\n+CIPMUX: 0\r\n\r\nOK\r\n")
    }

    @Test("ATZ restores the stored profile: echo on, verbose results")
    func atz() {
        var modem = ModemHarness()
        modem.send("ATE0V0")
        #expect(modem.send("ATZ") == "\r\nOK\r\n")
        #expect(modem.send("AT") == "AT\r\r\nOK\r\n")
    }
}
