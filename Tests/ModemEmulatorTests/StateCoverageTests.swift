import ModemEmulator
import NIOCore
import TestSupport
import Testing

/// Every state of `AT+CIPSTATUS` (spec CIPSTATUS.md: 14 single-connection words plus `IP CLOSE`,
/// 7 multi-connection words, 6 client states), reached end to end through the PTY by the commands
/// and network events that produce it. Where another test already reaches a state, the comment says
/// which.
@Suite struct StateCoverageTests {
    /// IP INITIAL, IP START, IP GPRSACT, IP STATUS, CONNECT OK, TCP CLOSING, TCP CLOSED,
    /// SERVER LISTENING, PDP DEACT. (IP CONFIG: LinkEventTests.faultsFromTheAPI; UDP CLOSED:
    /// TransferTests.singleModeUDP.)
    @Test func singleConnectionWalk() async throws {
        try await withServer(TestTCPServer.start(closeOnFIN: false)) { server in
            let port = try await freePort()
            try await Harness.run { harness in
                let host = harness.host
                #expect(try await host.singleState() == "IP INITIAL")
                try await host.command("AT+CSTT=\"internet\"")
                #expect(try await host.singleState() == "IP START")
                try await host.command("AT+CIICR")
                #expect(try await host.singleState() == "IP GPRSACT")
                try await host.command("AT+CIFSR", until: "10.64.0.2\r\n")
                #expect(try await host.singleState() == "IP STATUS")
                try await host.open(port: server.port)
                #expect(try await host.singleState() == "CONNECT OK")
                // The peer keeps its side open after our FIN: the close waits for it.
                try await host.command("AT+CIPCLOSE", until: "\r\nCLOSE OK\r\n")
                #expect(try await host.singleState() == "TCP CLOSING")
                try await server.connection().close()
                try await host.waitFor("TCP CLOSED") { try await host.singleState() }
                try await host.command("AT+CIPSERVER=1,\(port)")
                try await host.expect("\r\nSERVER OK\r\n")
                #expect(try await host.singleState() == "SERVER LISTENING")
                try await host.command("AT+CIPSERVER=0", until: "\r\nSERVER CLOSE\r\n")
                try await harness.modem.deactivateContext()
                try await host.expect("\r\n+PDP: DEACT\r\n")
                #expect(try await host.singleState() == "PDP DEACT")
                try await host.command("AT+CIPSHUT", until: "\r\nSHUT OK\r\n")
                #expect(try await host.singleState() == "IP INITIAL")
            }
        }
    }

    /// TCP CONNECTING, UDP CONNECTING and IP CLOSE: a connection that takes a minute to open is
    /// closed by the host before it completes.
    @Test func connectingStates() async throws {
        try await Harness.run({ $0.modem.connectDelay = .seconds(60) }) { harness in
            let host = harness.host
            try await host.bringUp()
            try await host.command("AT+CIPSTART=\"TCP\",\"127.0.0.1\",9")
            #expect(try await host.singleState() == "TCP CONNECTING")
            try await host.command("AT+CIPCLOSE", until: "\r\nCONNECT FAIL\r\n")
            #expect(try await host.singleState() == "IP CLOSE")
            try await host.command("AT+CIPSTART=\"UDP\",\"127.0.0.1\",9")
            #expect(try await host.singleState() == "UDP CONNECTING")
            try await host.command("AT+CIPCLOSE", until: "\r\nCONNECT FAIL\r\n")
        }
    }

    /// UDP CLOSING: deregistering the port takes the network a minute.
    @Test func udpClosing() async throws {
        try await withServer(TestUDPEchoServer.start()) { server in
            try await Harness.run({ $0.modem.udpCloseDelay = .seconds(60) }) { harness in
                let host = harness.host
                try await host.bringUp()
                try await host.open(.udp, port: server.port)
                try await host.command("AT+CIPCLOSE", until: "\r\nCLOSE OK\r\n")
                #expect(try await host.singleState() == "UDP CLOSING")
            }
        }
    }

    /// Multi mode: IP INITIAL, IP START, IP GPRSACT, IP STATUS, IP PROCESSING, PDP DEACT; client
    /// states INITIAL, CONNECTED, CLOSING, CLOSED, REMOTE CLOSING.
    @Test func multiConnectionWalk() async throws {
        try await withServer(TestTCPServer.start(echo: false, closeOnFIN: false)) { server in
            try await Harness.run { harness in
                let host = harness.host
                try await host.command("AT+CIPMUX=1")
                let initial = try await host.multiStatus()
                #expect(initial.state == "IP INITIAL")
                #expect(initial.lines.filter { $0.hasSuffix("\"INITIAL\"") }.count == 6)
                try await host.command("AT+CSTT=\"internet\"")
                #expect(try await host.multiStatus().state == "IP START")
                try await host.command("AT+CIICR")
                #expect(try await host.multiStatus().state == "IP GPRSACT")
                try await host.command("AT+CIFSR", until: "10.64.0.2\r\n")
                #expect(try await host.multiStatus().state == "IP STATUS")
                try await host.command("AT+CIPRXGET=1")

                try await host.open(link: 0, port: server.port)
                #expect(try await host.multiStatus().state == "IP PROCESSING")
                #expect(try await host.linkState(0) == "CONNECTED")
                #expect(try await host.linkState(1) == "INITIAL")
                try await host.command("AT+CIPCLOSE=0", until: "\r\n0, CLOSE OK\r\n")
                #expect(try await host.linkState(0) == "CLOSING")
                try await server.connection(1).close()
                try await host.waitFor("CLOSED") { try await host.linkState(0) }

                // The peer sends and closes while its data is unread: REMOTE CLOSING until it is read.
                try await host.open(link: 2, port: server.port)
                let peer = try await server.connection(2)
                try await peer.writeAndFlush(ByteBuffer(string: "last words")).get()
                try await host.expect("\r\n+CIPRXGET: 1,2\r\n")
                try await peer.close()
                try await host.waitFor("REMOTE CLOSING") { try await host.linkState(2) }
                try await host.command("AT+CIPRXGET=2,2,100", until: "\r\n+CIPRXGET: 2,2,10,0\r\nlast words\r\nOK\r\n")
                try await host.expect("\r\n2, CLOSED\r\n")

                try await harness.modem.deactivateContext()
                try await host.expect("\r\n+PDP: DEACT\r\n")
                #expect(try await host.multiStatus().state == "PDP DEACT")
            }
        }
    }

    /// Multi mode: IP CONFIG (activation refused) and CONNECTING.
    @Test func multiConfigAndConnecting() async throws {
        try await Harness.run({ $0.modem.connectDelay = .seconds(60) }) { harness in
            let host = harness.host
            try await host.command("AT+CIPMUX=1")
            try await harness.modem.setFailActivation(true)
            try await host.command("AT+CSTT=\"internet\"")
            try await host.command("AT+CIICR", until: "\r\nERROR\r\n")
            #expect(try await host.multiStatus().state == "IP CONFIG")
            try await harness.modem.setFailActivation(false)
            try await host.command("AT+CIPSHUT", until: "\r\nSHUT OK\r\n")
            try await host.bringUp()
            try await host.command("AT+CIPSTART=1,\"TCP\",\"127.0.0.1\",9")
            #expect(try await host.linkState(1) == "CONNECTING")
        }
    }
}
