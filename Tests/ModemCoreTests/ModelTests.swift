import ModemCore
import ModemProtocol
import Testing

/// What `ModemConfiguration.model` changes: the identity texts and the number of links.
@Suite("Models")
struct ModelTests {
    @Test("each model names itself in ATI, AT+CGMM and AT+CGMR", arguments: ModuleFamily.allCases)
    func identity(model: ModuleFamily) {
        var modem = ModemHarness(echo: false) { $0.model = model }
        let texts = model.identityTexts
        #expect(modem.send("ATI") == "\r\n\(texts.productInformation)\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CGMM") == "\r\n\(texts.model)\r\n\r\nOK\r\n")
        #expect(modem.send("AT+GMR") == "\r\n\(texts.revision)\r\n\r\nOK\r\n")
        #expect(ModemConfiguration(model: model).identity.model == texts.model)
    }

    @Test("the SIM900 lists eight links in multi mode and opens link 7; a SIM800 stops at 5")
    func linkCount() {
        var sim900 = ModemHarness(echo: false) { $0.model = .sim900 }
        sim900.send("AT+CIPMUX=1")
        #expect(sim900.send("AT+CIPSTART=?").hasPrefix("\r\n+CIPSTART: (0-7),"))
        sim900.bringUp()
        let id = sim900.connect(link: 7)
        let reply = sim900.send("AT+CIPSTATUS")
        let links = reply.split(separator: "\r\n").filter { $0.hasPrefix("C: ") }
        #expect(links.count == 8, "\(reply)")
        #expect(links.last?.hasPrefix("C: 7,0,\"TCP\"") == true, "\(reply)")
        #expect(sim900.send("AT+CIPSEND=7,2").hasSuffix("> "))
        #expect(sim900.bytes([0x68, 0x69]).contains("7, SEND OK"))
        #expect(sim900.actions.contains(.send(id, [0x68, 0x69])))

        var sim800 = ModemHarness(echo: false)
        sim800.send("AT+CIPMUX=1")
        sim800.bringUp()
        #expect(sim800.send("AT+CIPSTART=6,\"TCP\",\"127.0.0.1\",80") == "\r\nERROR\r\n")
        let lines = sim800.send("AT+CIPSTATUS").split(separator: "\r\n").filter { $0.hasPrefix("C: ") }
        #expect(lines.count == 6)
    }

    @Test("AT+CIPPING exists on the SIM800 family only (the SIM900 manual has none)")
    func ping() {
        var sim900 = ModemHarness(echo: false) { $0.model = .sim900 }
        sim900.bringUp()
        #expect(sim900.send("AT+CIPPING=\"127.0.0.1\"") == "\r\nERROR\r\n")
        #expect(sim900.send("AT+CIPPING=?") == "\r\nERROR\r\n")
        var sim808 = ModemHarness(echo: false) { $0.model = .sim808 }
        sim808.bringUp()
        #expect(sim808.send("AT+CIPPING=?").hasPrefix("\r\n+CIPPING: "))
    }
}
