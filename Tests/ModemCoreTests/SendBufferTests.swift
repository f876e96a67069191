import ModemCore
import Testing

/// A link's send buffer (SIM800 manual §8.2.3, §8.2.4): `DATA ACCEPT` when the module took the data,
/// `SEND OK` when the network took it, `SEND FAIL` when it did not in time; received data reaches
/// the host while a send waits on the network, so an echoing peer cannot deadlock the modem.
@Suite struct SendBufferTests {
    private func connected(quickSend: Bool = false, multi: Bool = false, limit: Int = 4 * 1460) -> (ModemHarness, ConnectionID) {
        var modem = ModemHarness {
            $0.sendBufferLimit = limit
            $0.timeouts.send = .seconds(2)
        }
        modem.echoOff()
        if multi { modem.send("AT+CIPMUX=1") }
        if quickSend { modem.send("AT+CIPQSEND=1") }
        modem.send("AT+CIPHEAD=1")
        modem.bringUp()
        let id = modem.connect(link: multi ? 0 : nil)
        modem.networkTakesSends = false
        return (modem, id)
    }

    @Test("SEND OK waits for the network to take the data; received data reaches the host meanwhile")
    func sendOKWaitsForTheNetwork() {
        var (modem, id) = connected()
        #expect(modem.send("AT+CIPSEND=5") == "\r\n> ")
        #expect(modem.bytes(Array("hello".utf8)) == "")
        #expect(modem.lastSend == .send(id, Array("hello".utf8)))
        #expect(modem.actions.contains(.startTimer(.send(id), after: .seconds(2))))
        // The echo arrives before the network reports the send: it follows the send's result.
        #expect(modem.event(.received(id, Array("hello".utf8))) == "")
        // A command typed meanwhile waits for the send's result.
        #expect(modem.send("AT") == "")
        #expect(modem.event(.sent(id, count: 3)) == "")
        #expect(modem.event(.sent(id, count: 2)) == "\r\nSEND OK\r\n\r\n+IPD,5:hello\r\nOK\r\n")
        #expect(modem.actions.contains(.cancelTimer(.send(id))))
    }

    @Test("held output that fills up while a send waits on the network goes to the host instead of pausing the link")
    func heldOutputFlowsWhileASendWaits() {
        var modem = ModemHarness {
            $0.heldOutputLimit = 100
            $0.timeouts.send = .seconds(2)
        }
        modem.echoOff()
        modem.send("AT+CIPHEAD=1")
        modem.bringUp()
        let id = modem.connect()
        modem.networkTakesSends = false
        let chunk = [UInt8](repeating: 0x45, count: 60)
        // While the host types the data, received data is held and the link pauses at the limit.
        #expect(modem.send("AT+CIPSEND=2") == "\r\n> ")
        #expect(modem.event(.received(id, chunk)) == "")
        #expect(modem.event(.received(id, chunk)) == "")
        #expect(modem.actions.last == .pauseReading(id))
        // The data is in: the send waits on the network, which may wait on the paused link's peer.
        let output = modem.bytes(Array("hi".utf8))
        #expect(output == "\r\n+IPD,60:" + String(repeating: "E", count: 60) + "\r\n+IPD,60:" + String(repeating: "E", count: 60))
        #expect(modem.actions.contains(.resumeReading(id)))
        // More data while the send still waits: out at the limit, the link is not paused again.
        let before = modem.actions.count
        #expect(modem.event(.received(id, chunk)) == "")
        #expect(modem.event(.received(id, chunk)).count > 120)
        #expect(!modem.actions[before...].contains(.pauseReading(id)))
        #expect(modem.event(.sent(id, count: 2)) == "\r\nSEND OK\r\n")
    }

    @Test("DATA ACCEPT comes at once while the send buffer has room; a full buffer makes the next send wait")
    func quickSendWaitsForRoom() {
        var (modem, id) = connected(quickSend: true, limit: 2 * 1460)
        let block = [UInt8](repeating: 0x41, count: 1460)
        for _ in 0..<2 {
            #expect(modem.send("AT+CIPSEND=1460") == "\r\n> ")
            #expect(modem.bytes(block) == "\r\nDATA ACCEPT:1460\r\n")
        }
        #expect(modem.send("AT+CIPSEND?") == "\r\n+CIPSEND: 0\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CIPSEND=1460") == "\r\n> ")
        // No room: the data waits in the module until the network has taken enough.
        #expect(modem.bytes(block) == "")
        #expect(modem.event(.received(id, [0x42])) == "")
        #expect(modem.event(.sent(id, count: 1000)) == "")
        #expect(modem.event(.sent(id, count: 460)) == "\r\nDATA ACCEPT:1460\r\n\r\n+IPD,1:B")
        #expect(modem.send("AT+CIPSEND?") == "\r\n+CIPSEND: 0\r\n\r\nOK\r\n")
        modem.event(.sent(id, count: 1460))
        #expect(modem.send("AT+CIPSEND?") == "\r\n+CIPSEND: 1460\r\n\r\nOK\r\n")
    }

    @Test("a network that takes nothing for the send timeout: SEND FAIL, then the link closes")
    func sendTimeout() {
        var (modem, id) = connected(multi: true)
        #expect(modem.send("AT+CIPSEND=0,3") == "\r\n> ")
        #expect(modem.bytes(Array("abc".utf8)) == "")
        #expect(modem.fire(.send(id)) == "\r\n0, SEND FAIL\r\n\r\n0, CLOSED\r\n")
        #expect(modem.actions.contains(.close(id, graceful: false)))
        #expect(modem.send("AT+CIPSTATUS=0") == "\r\n+CIPSTATUS: 0,0,\"TCP\",\"127.0.0.1\",\"8080\",\"CLOSED\"\r\n\r\nOK\r\n")
        // A late report of the socket changes nothing.
        #expect(modem.event(.sent(id, count: 3)) == "")
        #expect(modem.send("AT") == "\r\nOK\r\n")
    }

    @Test("the peer closing while a send waits: SEND FAIL before CLOSED")
    func peerClosesDuringSend() {
        var (modem, id) = connected()
        modem.send("AT+CIPSEND=2")
        modem.bytes(Array("hi".utf8))
        #expect(modem.event(.remoteClosed(id)) == "\r\nSEND FAIL\r\n\r\nCLOSED\r\n")
        #expect(modem.actions.last == .close(id, graceful: false) || modem.actions.contains(.cancelTimer(.send(id))))
        #expect(modem.send("AT") == "\r\nOK\r\n")
    }

    @Test("the network releasing the context while a send waits: SEND FAIL, and the modem goes on")
    func contextLostDuringSend() {
        var (modem, _) = connected()
        modem.send("AT+CIPSEND=2")
        modem.bytes(Array("hi".utf8))
        let output = modem.event(.contextDeactivated)
        #expect(output.contains("SEND FAIL"))
        #expect(output.contains("+PDP: DEACT"))
        #expect(modem.send("AT") == "\r\nOK\r\n")
    }

    @Test("transparent mode: a full send buffer stops the serial line; it reads again at half")
    func transparentFlowControl() {
        var modem = ModemHarness(echo: false) { $0.sendBufferLimit = 1000 }
        modem.send("AT+CIPMODE=1")
        modem.bringUp()
        modem.send("AT+CIPSTART=\"TCP\",\"127.0.0.1\",9000")
        let id = modem.lastConnection!
        #expect(modem.event(.connected(id, remoteAddress: "127.0.0.1")) == "\r\nCONNECT\r\n")
        modem.networkTakesSends = false
        modem.bytes([UInt8](repeating: 0x61, count: 800))
        #expect(!modem.actions.contains(.stopHostInput))
        modem.bytes([UInt8](repeating: 0x62, count: 400))
        #expect(modem.actions.last == .stopHostInput)
        // Received data still flows while the host is held.
        #expect(modem.event(.received(id, Array("ok".utf8))) == "ok")
        modem.event(.sent(id, count: 600))
        #expect(modem.actions.last != .resumeHostInput)
        modem.event(.sent(id, count: 100))
        #expect(modem.actions.last == .resumeHostInput)
        #expect(modem.actions.filter { $0 == .stopHostInput }.count == 1)
    }
}
