import ModemCore
import ModemProtocol
import Testing

/// Each of the 15 single-connection states, reached through commands and network events only,
/// as `AT+CIPSTATUS` reports it (the same bytes in both dialects).
@Suite("Single-connection states")
struct SingleConnectionStateTests {
    static let dialects = StatusDialect.allCases

    func expectState(_ modem: inout ModemHarness, _ word: String) {
        #expect(modem.status() == "\r\nOK\r\n\r\nSTATE: \(word)\r\n")
    }

    @Test("IP INITIAL after power-on and after AT+CIPSHUT", arguments: dialects)
    func ipInitial(dialect: StatusDialect) {
        var modem = ModemHarness(dialect: dialect, echo: false)
        expectState(&modem, "IP INITIAL")
        modem.bringUp()
        modem.connect()
        #expect(modem.send("AT+CIPSHUT") == "\r\nSHUT OK\r\n")
        expectState(&modem, "IP INITIAL")
    }

    @Test("IP START after AT+CSTT", arguments: dialects)
    func ipStart(dialect: StatusDialect) {
        var modem = ModemHarness(dialect: dialect, echo: false)
        #expect(modem.send("AT+CSTT=\"internet\",\"user\",\"pass\"") == "\r\nOK\r\n")
        expectState(&modem, "IP START")
    }

    @Test("IP CONFIG while activating, and after the network refuses activation", arguments: dialects)
    func ipConfig(dialect: StatusDialect) {
        var modem = ModemHarness(dialect: dialect, echo: false)
        modem.send("AT+CSTT=\"internet\"")
        // AT+CIICR waits for the network; AT+CIPSTATUS typed meanwhile is answered afterwards.
        #expect(modem.send("AT+CIICR") == "")
        #expect(modem.actions.last == .startTimer(.activation, after: .seconds(85)))
        #expect(modem.status() == "")
        #expect(modem.modem.snapshot.isBusy)
        let output = modem.event(.contextActivationFailed)
        #expect(output == "\r\n+PDP: DEACT\r\n\r\nERROR\r\n\r\nOK\r\n\r\nSTATE: IP CONFIG\r\n")
        expectState(&modem, "IP CONFIG")
    }

    @Test("IP GPRSACT after activation", arguments: dialects)
    func ipGprsact(dialect: StatusDialect) {
        var modem = ModemHarness(dialect: dialect, echo: false)
        modem.send("AT+CSTT=\"internet\"")
        modem.send("AT+CIICR")
        #expect(modem.actions.contains(.activateContext(apn: "internet", user: "", password: "")))
        #expect(modem.event(.contextActivated(localAddress: "10.64.0.2")) == "\r\nOK\r\n")
        expectState(&modem, "IP GPRSACT")
    }

    @Test("IP STATUS after AT+CIFSR, which answers the address alone", arguments: dialects)
    func ipStatus(dialect: StatusDialect) {
        var modem = ModemHarness(dialect: dialect, echo: false)
        modem.send("AT+CSTT=\"internet\"")
        modem.send("AT+CIICR")
        modem.event(.contextActivated(localAddress: "10.64.0.2"))
        #expect(modem.send("AT+CIFSR") == "\r\n10.64.0.2\r\n")
        expectState(&modem, "IP STATUS")
    }

    @Test("TCP CONNECTING until the network answers", arguments: dialects)
    func tcpConnecting(dialect: StatusDialect) {
        var modem = ModemHarness(dialect: dialect, echo: false)
        modem.bringUp()
        #expect(modem.send("AT+CIPSTART=\"TCP\",\"example.net\",80") == "\r\nOK\r\n")
        #expect(modem.actions.contains(.connect(modem.lastConnection!, .tcp, host: "example.net", port: 80)))
        expectState(&modem, "TCP CONNECTING")
    }

    @Test("UDP CONNECTING until the port is registered", arguments: dialects)
    func udpConnecting(dialect: StatusDialect) {
        var modem = ModemHarness(dialect: dialect, echo: false)
        modem.bringUp()
        #expect(modem.send("AT+CIPSTART=\"UDP\",\"127.0.0.1\",\"5000\"") == "\r\nOK\r\n")
        expectState(&modem, "UDP CONNECTING")
    }

    @Test("SERVER LISTENING after AT+CIPSERVER=1", arguments: dialects)
    func serverListening(dialect: StatusDialect) {
        var modem = ModemHarness(dialect: dialect, echo: false)
        modem.bringUp()
        #expect(modem.send("AT+CIPSERVER=1,8080") == "\r\nOK\r\n")
        #expect(modem.actions.last == .listen(port: 8080))
        #expect(modem.event(.listening(port: 8080)) == "\r\nSERVER OK\r\n")
        expectState(&modem, "SERVER LISTENING")
    }

    @Test("CONNECT OK when the connection is established", arguments: dialects)
    func connectOK(dialect: StatusDialect) {
        var modem = ModemHarness(dialect: dialect, echo: false)
        modem.bringUp()
        modem.send("AT+CIPSTART=\"TCP\",\"127.0.0.1\",8080")
        #expect(modem.event(.connected(modem.lastConnection!, remoteAddress: "127.0.0.1")) == "\r\nCONNECT OK\r\n")
        expectState(&modem, "CONNECT OK")
    }

    @Test("TCP CLOSING during a graceful AT+CIPCLOSE, TCP CLOSED when it completes", arguments: dialects)
    func tcpClosing(dialect: StatusDialect) {
        var modem = ModemHarness(dialect: dialect, echo: false)
        modem.bringUp()
        let id = modem.connect()
        #expect(modem.send("AT+CIPCLOSE") == "\r\nCLOSE OK\r\n")
        #expect(modem.actions.contains(.close(id, graceful: true)))
        expectState(&modem, "TCP CLOSING")
        #expect(modem.event(.closed(id)) == "")
        expectState(&modem, "TCP CLOSED")
    }

    @Test("UDP CLOSING while the port is deregistered", arguments: dialects)
    func udpClosing(dialect: StatusDialect) {
        var modem = ModemHarness(dialect: dialect, echo: false)
        modem.bringUp()
        let id = modem.connect(transport: .udp, port: 5000)
        #expect(modem.send("AT+CIPCLOSE=0") == "\r\nCLOSE OK\r\n")
        expectState(&modem, "UDP CLOSING")
        modem.event(.closed(id))
        expectState(&modem, "UDP CLOSED")
    }

    @Test("TCP CLOSED when the peer closes", arguments: dialects)
    func tcpClosed(dialect: StatusDialect) {
        var modem = ModemHarness(dialect: dialect, echo: false)
        modem.bringUp()
        let id = modem.connect()
        #expect(modem.event(.remoteClosed(id)) == "\r\nCLOSED\r\n")
        expectState(&modem, "TCP CLOSED")
    }

    @Test("UDP CLOSED after a quick close", arguments: dialects)
    func udpClosed(dialect: StatusDialect) {
        var modem = ModemHarness(dialect: dialect, echo: false)
        modem.bringUp()
        let id = modem.connect(transport: .udp, port: 5000)
        #expect(modem.send("AT+CIPCLOSE=1") == "\r\nCLOSE OK\r\n")
        #expect(modem.actions.contains(.close(id, graceful: false)))
        expectState(&modem, "UDP CLOSED")
    }

    @Test("PDP DEACT when the network drops the context; only AT+CIPSHUT leaves it", arguments: dialects)
    func pdpDeact(dialect: StatusDialect) {
        var modem = ModemHarness(dialect: dialect, echo: false)
        modem.bringUp()
        modem.connect()
        #expect(modem.event(.contextDeactivated) == "\r\nCLOSED\r\n\r\n+PDP: DEACT\r\n")
        expectState(&modem, "PDP DEACT")
        #expect(modem.send("AT+CSTT=\"internet\"") == "\r\nERROR\r\n")
        #expect(modem.send("AT+CIPCLOSE") == "\r\nERROR\r\n")
        expectState(&modem, "PDP DEACT")
        #expect(modem.send("AT+CIPSHUT") == "\r\nSHUT OK\r\n")
        expectState(&modem, "IP INITIAL")
    }

    @Test("IP CLOSE when an attempt is closed before it completes", arguments: dialects)
    func ipClose(dialect: StatusDialect) {
        var modem = ModemHarness(dialect: dialect, echo: false)
        modem.bringUp()
        modem.send("AT+CIPSTART=\"TCP\",\"192.0.2.1\",80")
        let id = modem.lastConnection!
        #expect(modem.send("AT+CIPCLOSE") == "\r\nCLOSE OK\r\n\r\nSTATE: IP CLOSE\r\n\r\nCONNECT FAIL\r\n")
        #expect(modem.actions.contains(.close(id, graceful: false)))
        expectState(&modem, "IP CLOSE")
        // A late answer from the network for the abandoned attempt changes nothing.
        #expect(modem.event(.connected(id, remoteAddress: "192.0.2.1")) == "")
        expectState(&modem, "IP CLOSE")
    }
}
