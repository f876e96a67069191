import ModemCore
import ModemProtocol
import Testing

/// Short messages in the SIM800's reply shapes (SIM800 manual chapter 4).
@Suite("SMS commands")
struct MessageCommandTests {
    static let own = "+15555550100"

    /// A modem in text mode with the message indications a driver sets.
    func textMode() -> ModemHarness {
        var modem = ModemHarness(echo: false)
        #expect(modem.send("AT+CMGF=1") == "\r\nOK\r\n")
        return modem
    }

    @Test("AT+CMGS: the > prompt, the text up to Ctrl-Z, then +CMGS: <mr> and OK")
    func sendText() {
        var modem = textMode()
        #expect(modem.send("AT+CMGS=\"+15551234567\"") == "\r\n> ")
        #expect(modem.bytes(Array("Hello".utf8)) == "")
        #expect(modem.bytes([0x1A]) == "\r\n+CMGS: 1\r\n\r\nOK\r\n")
        // The next message has the next reference; the modem takes commands again.
        modem.send("AT+CMGS=\"+15551234567\"")
        #expect(modem.bytes(Array("Again".utf8) + [0x1A]) == "\r\n+CMGS: 2\r\n\r\nOK\r\n")
        #expect(modem.send("AT") == "\r\nOK\r\n")
    }

    @Test("AT+CMGS: ESC cancels without a result; the text is echoed with echo on")
    func cancelAndEcho() {
        var modem = textMode()
        modem.send("AT+CMGS=\"+15551234567\"")
        #expect(modem.bytes(Array("Hi".utf8) + [0x1B]) == "")
        #expect(modem.send("AT") == "\r\nOK\r\n")
        var echoing = ModemHarness()
        echoing.send("AT+CMGF=1")
        #expect(echoing.send("AT+CMGS=\"123\"") == "AT+CMGS=\"123\"\r\r\n> ")
        #expect(echoing.bytes(Array("Hi".utf8) + [0x1A]) == "Hi\r\n+CMGS: 1\r\n\r\nOK\r\n")
    }

    @Test("AT+CMGS in PDU mode takes hex digits; anything else is +CMS ERROR: 304")
    func sendPDU() {
        var modem = ModemHarness(echo: false)
        modem.send("AT+CMEE=1")
        modem.send("AT+CMGF=0")
        #expect(modem.send("AT+CMGS=14") == "\r\n> ")
        let pdu = "0011000B915155214365F70000AA0548656C6C6F"
        #expect(modem.bytes(Array(pdu.utf8) + [0x1A]) == "\r\n+CMGS: 1\r\n\r\nOK\r\n")
        modem.send("AT+CMGS=14")
        #expect(modem.bytes(Array("not hex".utf8) + [0x1A]) == "\r\n+CMS ERROR: 304\r\n")
    }

    @Test("A message to the SIM's own number comes back: +CMTI, then AT+CMGR and AT+CMGL show it")
    func receiveAndRead() {
        var modem = textMode()
        #expect(modem.send("AT+CNUM") == "\r\n+CNUM: \"\",\"\(Self.own)\",145\r\n\r\nOK\r\n")
        modem.send("AT+CMGS=\"\(Self.own)\"")
        #expect(modem.bytes(Array("Ping".utf8) + [0x1A]) == "\r\n+CMGS: 1\r\n\r\nOK\r\n\r\n+CMTI: \"SM\",1\r\n")
        let header = "\"\(Self.own)\",\"\",\"04/01/01,00:00:00+00\""
        #expect(modem.send("AT+CMGL=\"REC UNREAD\",1") == "\r\n+CMGL: 1,\"REC UNREAD\",\(header)\r\nPing\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CMGR=1") == "\r\n+CMGR: \"REC UNREAD\",\(header)\r\nPing\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CMGR=1") == "\r\n+CMGR: \"REC READ\",\(header)\r\nPing\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CMGL=\"REC UNREAD\"") == "\r\nOK\r\n")
        modem.send("AT+CSDH=1")
        let long = "\(header),145,4,0,0,\"+15555550199\",145,4"
        #expect(modem.send("AT+CMGR=1") == "\r\n+CMGR: \"REC READ\",\(long)\r\nPing\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CPMS?") == "\r\n+CPMS: \"SM\",1,50,\"SM\",1,50,\"SM\",1,50\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CMGD=001") == "\r\nOK\r\n")
        #expect(modem.send("AT+CMGR=1") == "\r\nOK\r\n")
        #expect(modem.send("AT+CPMS=\"SM\",\"SM\",\"SM\"") == "\r\n+CPMS: 0,50,0,50,0,50\r\n\r\nOK\r\n")
    }

    @Test("PDU mode lists a received message as an SMS-DELIVER PDU")
    func readPDU() {
        var modem = textMode()
        modem.send("AT+CMGS=\"\(Self.own)\"")
        modem.bytes(Array("Hi".utf8) + [0x1A])
        modem.send("AT+CMGF=0")
        // SCA +15555550199, SMS-DELIVER, OA +15555550100, PID 0, DCS 0, SCTS 04/01/01 00:00:00 +00, "Hi".
        let pdu = "07915155550591F9" + "04" + "0B915155550501F0" + "0000" + "40101000000000" + "02C834"
        #expect(modem.send("AT+CMGL=4") == "\r\n+CMGL: 1,0,,21\r\n\(pdu)\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CMGR=1") == "\r\n+CMGR: 1,,21\r\n\(pdu)\r\n\r\nOK\r\n")
    }

    @Test("AT+CNMI=2,2 shows a message with +CMT instead of storing it")
    func directDelivery() {
        var modem = textMode()
        #expect(modem.send("AT+CNMI=2,2,0,0,0") == "\r\nOK\r\n")
        modem.send("AT+CMGS=\"\(Self.own)\"")
        #expect(modem.bytes(Array("Hi".utf8) + [0x1A])
            == "\r\n+CMGS: 1\r\n\r\nOK\r\n\r\n+CMT: \"\(Self.own)\",\"\",\"04/01/01,00:00:00+00\"\r\nHi\r\n")
        #expect(modem.send("AT+CPMS?") == "\r\n+CPMS: \"SM\",0,50,\"SM\",0,50,\"SM\",0,50\r\n\r\nOK\r\n")
    }

    @Test("AT+CMGDA deletes by kind, in any case; bad input changes nothing")
    func deleteAll() {
        var modem = textMode()
        for _ in 0..<2 {
            modem.send("AT+CMGS=\"\(Self.own)\"")
            modem.bytes(Array("x".utf8) + [0x1A])
        }
        modem.send("AT+CMGR=1")
        #expect(modem.send("AT+CMGDA=\"DEL BOGUS\"") == "\r\nERROR\r\n")
        #expect(modem.send("AT+CMGDA=6") == "\r\nERROR\r\n")  // a PDU-mode form in text mode
        #expect(modem.send("AT+CMGDA=\"del read\"") == "\r\nOK\r\n")
        #expect(modem.send("AT+CPMS?") == "\r\n+CPMS: \"SM\",1,50,\"SM\",1,50,\"SM\",1,50\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CMGDA=\"DEL ALL\"") == "\r\nOK\r\n")
        #expect(modem.send("AT+CMGL=\"ALL\"") == "\r\nOK\r\n")
    }

    @Test("Malformed SMS commands fail and change nothing", arguments: [
        "AT+CMGS=\"12a\"", "AT+CMGS", "AT+CMGR=51", "AT+CMGR=x", "AT+CMGL=\"NEW\"", "AT+CMGD=0", "AT+CMGD=1,5",
        "AT+CPMS=\"XX\"", "AT+CNMI=4", "AT+CSMP=17,300", "AT+CSCA=\"abc\"",
    ])
    func badInput(line: String) {
        var modem = textMode()
        let before = modem.modem.snapshot
        #expect(modem.send(line) == "\r\nERROR\r\n")
        #expect(modem.modem.snapshot == before)
        #expect(modem.send("AT") == "\r\nOK\r\n")
    }

    @Test("Settings read back: AT+CNMI, AT+CSMP, AT+CSCA")
    func settings() {
        var modem = textMode()
        #expect(modem.send("AT+CNMI?") == "\r\n+CNMI: 2,1,0,0,0\r\n\r\nOK\r\n")
        modem.send("AT+CNMI=1,1,0,0,0")
        #expect(modem.send("AT+CNMI?") == "\r\n+CNMI: 1,1,0,0,0\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CSMP=17,167,0,8") == "\r\nOK\r\n")
        #expect(modem.send("AT+CSMP?") == "\r\n+CSMP: 17,167,0,8\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CSCA?") == "\r\n+CSCA: \"+15555550199\",145\r\n\r\nOK\r\n")
        modem.send("AT+CSCA=\"0123\"")
        #expect(modem.send("AT+CSCA?") == "\r\n+CSCA: \"0123\",129\r\n\r\nOK\r\n")
    }
}
