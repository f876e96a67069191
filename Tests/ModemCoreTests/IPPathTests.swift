import ModemCore
import ModemProtocol
import Testing

/// The other IP paths drivers use: `AT+SAPBR` bearer profiles, `AT+CIPPING`, and transparent mode.
@Suite("Bearer, ping and transparent mode")
struct IPPathTests {
    @Test("AT+SAPBR: set parameters, open (waits for the network), query, close")
    func bearerProfile() {
        var modem = ModemHarness(echo: false)
        #expect(modem.send("AT+SAPBR=2,1") == "\r\n+SAPBR: 1,3,\"0.0.0.0\"\r\n\r\nOK\r\n")
        // sim800l-gsm-module's connect_gprs sends this chain and needs exactly one OK.
        #expect(modem.send("AT+SAPBR=3,1,\"CONTYPE\",\"GPRS\";+SAPBR=3,1,\"APN\",\"internet\";+SAPBR=1,1") == "")
        #expect(modem.actions.contains(.activateBearer(profile: 1, apn: "internet")))
        #expect(modem.send("AT+SAPBR=2,1") == "")
        #expect(
            modem.event(.bearerActivated(profile: 1, localAddress: "10.64.0.2"))
                == "\r\nOK\r\n\r\n+SAPBR: 1,1,\"10.64.0.2\"\r\n\r\nOK\r\n")
        // TinyGSM sends AT+SAPBR=1,1 even when the bearer is open: ERROR is what a module says.
        #expect(modem.send("AT+SAPBR=1,1") == "\r\nERROR\r\n")
        #expect(
            modem.send("AT+SAPBR=4,1")
                == "\r\n+SAPBR:\r\n\r\nCONTYPE: GPRS\r\n\r\nAPN: internet\r\n\r\nPHONENUM: \r\n\r\nUSER: \r\n\r\nPWD: \r\n\r\nRATE: 2\r\n\r\nOK\r\n")
        #expect(modem.send("AT+SAPBR=0,1") == "\r\nOK\r\n")
        #expect(modem.actions.last == .deactivateBearer(profile: 1))
        #expect(modem.send("AT+SAPBR=0,1") == "\r\nERROR\r\n")
    }

    @Test("AT+SAPBR=1,1 fails when the network refuses, and the network drop closes an open bearer")
    func bearerFailures() {
        var modem = ModemHarness(echo: false)
        modem.send("AT+SAPBR=1,1")
        #expect(modem.event(.bearerActivationFailed(profile: 1)) == "\r\nERROR\r\n")
        modem.send("AT+SAPBR=1,1")
        modem.event(.bearerActivated(profile: 1, localAddress: "10.64.0.2"))
        modem.bringUp()
        #expect(modem.event(.contextDeactivated) == "\r\n+SAPBR 1: DEACT\r\n\r\n+PDP: DEACT\r\n")
        #expect(modem.send("AT+SAPBR=2,1") == "\r\n+SAPBR: 1,3,\"0.0.0.0\"\r\n\r\nOK\r\n")
    }

    @Test("AT+CIPPING: one line per attempt in 100 ms units, no reply as 600/255, then OK")
    func ping() {
        var modem = ModemHarness(echo: false)
        #expect(modem.send("AT+CIPPING=localhost") == "\r\nERROR\r\n")
        modem.bringUp()
        #expect(modem.send("AT+CIPPING=localhost,3,32,5") == "")
        guard case .ping(let query, "localhost", 3, let timeout) = modem.actions.dropLast().last else {
            Issue.record("no ping action: \(modem.actions)")
            return
        }
        #expect(timeout == .milliseconds(500))
        #expect(
            modem.event(
                .pingCompleted(query: query, address: "127.0.0.1", roundTrips: [.microseconds(80), nil, .milliseconds(250)]))
                == "\r\n+CIPPING: 1,\"127.0.0.1\",1,64\r\n\r\n+CIPPING: 2,\"127.0.0.1\",600,255\r\n\r\n+CIPPING: 3,\"127.0.0.1\",3,64\r\n\r\nOK\r\n")
        modem.send("AT+CIPPING=nowhere.invalid")
        guard case .ping(let second, _, _, _) = modem.actions.dropLast().last else { return }
        #expect(modem.event(.pingCompleted(query: second, address: nil, roundTrips: [])) == "\r\nERROR\r\n")
    }

    @Test("transparent mode: CONNECT, raw data both ways, +++ with guard times, ATO, peer close")
    func transparentMode() {
        var modem = ModemHarness(echo: false) { $0.timeouts.escapeGuard = .milliseconds(50) }
        #expect(modem.send("AT+CIPMODE=1") == "\r\nOK\r\n")
        modem.bringUp()
        modem.send("AT+CIPSTART=\"TCP\",\"127.0.0.1\",9000")
        let id = modem.lastConnection!
        #expect(modem.event(.connected(id, remoteAddress: "127.0.0.1")) == "\r\nCONNECT\r\n")
        #expect(modem.actions.last == .startTimer(.escapeGuard, after: .milliseconds(50)))
        // Host bytes go to the link as they are, AT commands included.
        modem.bytes(Array("AT+CIPSTATUS\r".utf8))
        #expect(modem.actions.contains(.send(id, Array("AT+CIPSTATUS\r".utf8))))
        #expect(modem.event(.received(id, Array("raw\r\n".utf8))) == "raw\r\n")
        // "+++" without a quiet period before it is data.
        modem.bytes(Array("+++".utf8))
        #expect(modem.actions.contains(.send(id, Array("+++".utf8))))
        // Quiet, "+++", quiet: back to command mode.
        modem.fire(.escapeGuard)
        let before = modem.actions.count
        #expect(modem.bytes(Array("+++".utf8)) == "")
        #expect(!modem.actions[before...].contains { if case .send = $0 { true } else { false } })
        #expect(modem.fire(.escapeGuard) == "\r\nOK\r\n")
        #expect(modem.status() == "\r\nOK\r\n\r\nSTATE: CONNECT OK\r\n")
        #expect(modem.send("ATO") == "\r\nCONNECT\r\n")
        modem.bytes(Array("x".utf8))
        #expect(modem.actions.contains(.send(id, Array("x".utf8))))
        #expect(modem.event(.remoteClosed(id)) == "\r\nCLOSED\r\n")
        #expect(modem.send("AT") == "\r\nOK\r\n")
    }

    @Test("AT+CIPMODE only in IP INITIAL and single mode; AT+CIPSEND is refused in transparent mode")
    func transparentModeRules() {
        var modem = ModemHarness(echo: false)
        modem.send("AT+CIPMUX=1")
        #expect(modem.send("AT+CIPMODE=1") == "\r\nERROR\r\n")
        modem.send("AT+CIPMUX=0")
        modem.send("AT+CIPMODE=1")
        modem.bringUp()
        #expect(modem.send("AT+CIPMODE=0") == "\r\nERROR\r\n")
        #expect(modem.send("AT+CIPCCFG?") == "\r\n+CIPCCFG: 5,2,1024,1,0,1460,50\r\n\r\nOK\r\n")
    }

    @Test("registration lost and regained: +CREG/+CGREG URCs where enabled, AT+CSQ follows the signal")
    func registrationEvents() {
        var modem = ModemHarness(echo: false)
        modem.send("AT+CREG=1;+CGREG=2")
        #expect(modem.event(.registrationChanged(registered: false)) == "\r\n+CREG: 2\r\n\r\n+CGREG: 2\r\n")
        #expect(modem.send("AT+CREG?") == "\r\n+CREG: 1,2\r\n\r\nOK\r\n")
        #expect(
            modem.event(.registrationChanged(registered: true)) == "\r\n+CREG: 1\r\n\r\n+CGREG: 1,\"1A2B\",\"0C3D\"\r\n")
        modem.event(.signalChanged(rssi: 7))
        #expect(modem.send("AT+CSQ") == "\r\n+CSQ: 7,0\r\n\r\nOK\r\n")
    }
}
