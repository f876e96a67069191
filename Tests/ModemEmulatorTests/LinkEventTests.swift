import Foundation
import ModemEmulator
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// Network events on real sockets reach the host as the core renders them.
@Suite struct LinkEventTests {
    @Test func peerCloseInSingleMode() async throws {
        try await withServer(TestTCPServer.start()) { server in
            try await Harness.run { harness in
                let host = harness.host
                try await host.bringUp()
                try await host.open(port: server.port)
                try await server.connection().close()
                try await host.expect("\r\nCLOSED\r\n")
                #expect(try await host.singleState() == "TCP CLOSED")
            }
        }
    }

    @Test func peerCloseInMultiMode() async throws {
        try await withServer(TestTCPServer.start()) { server in
            try await Harness.run { harness in
                let host = harness.host
                try await host.command("AT+CIPMUX=1")
                try await host.bringUp()
                try await host.open(link: 3, port: server.port)
                try await host.open(link: 4, port: server.port)
                try await server.connection(1).close()
                try await host.expect("\r\n3, CLOSED\r\n")
                let status = try await host.multiStatus()
                #expect(status.state == "IP PROCESSING")
                #expect(status.lines.contains("C: 3,0,\"TCP\",\"127.0.0.1\",\"\(server.port)\",\"CLOSED\""))
                #expect(status.lines.contains("C: 4,0,\"TCP\",\"127.0.0.1\",\"\(server.port)\",\"CONNECTED\""))
            }
        }
    }

    @Test func serverAcceptsInSingleMode() async throws {
        let port = try await freePort()
        try await Harness.run { harness in
            let host = harness.host
            try await host.bringUp()
            try await host.command("AT+CIPSERVER=1,\(port)")
            try await host.expect("\r\nSERVER OK\r\n")
            #expect(try await host.singleState() == "SERVER LISTENING")
            let peer = try await ByteStream.connect(port: port)
            try await host.expect("\r\nREMOTE IP: 127.0.0.1\r\n")
            #expect(try await host.singleState() == "CONNECT OK")
            try await host.command("AT+CIPHEAD=1")
            try await peer.write("ping")
            #expect(try await host.nextFrame() == .data(link: nil, Array("ping".utf8)))
            try await host.command("AT+CIPSEND=4", until: "> ")
            try await harness.host.stream.write("pong")
            try await host.expect("\r\nSEND OK\r\n")
            #expect(try await peer.read(count: 4) == Array("pong".utf8))
            await peer.close()
            try await host.expect("\r\nCLOSED\r\n")
        }
    }

    @Test func serverAcceptsInMultiMode() async throws {
        let port = try await freePort()
        try await Harness.run { harness in
            let host = harness.host
            try await host.command("AT+CIPMUX=1")
            try await host.bringUp()
            try await host.command("AT+CIPSERVER=1,\(port)")
            try await host.expect("\r\nSERVER OK\r\n")
            let peer = try await ByteStream.connect(port: port)
            try await host.expect("\r\n0, REMOTE IP: 127.0.0.1\r\n")
            let status = try await host.multiStatus()
            #expect(status.state == "IP PROCESSING")
            #expect(status.lines.contains("S: 0,0,\"\(port)\",\"LISTENING\""))
            #expect(try await host.linkState(0) == "CONNECTED")
            try await peer.write("hello")
            #expect(try await host.nextFrame() == .data(link: 0, Array("hello".utf8)))
            await peer.close()
            try await host.expect("\r\n0, CLOSED\r\n")
        }
    }

    @Test func controlSocket() async throws {
        try await withServer(TestTCPServer.start()) { server in
            let path = temporaryPath("control")
            try await Harness.run({ $0.controlPath = path }) { harness in
                let host = harness.host
                var info = stat()
                #expect(stat(path, &info) == 0)
                #expect(info.st_mode & 0o777 == 0o600)

                try await host.command("AT+CIPMUX=1")
                try await host.bringUp()
                try await host.open(link: 1, port: server.port)

                let status = try await ControlClient.request(ControlRequest(command: "status"), to: path)
                #expect(status.ok)
                #expect(status.status?.connection.state == "IP PROCESSING")
                #expect(status.status?.connection.links[1].state == "CONNECTED")
                #expect(status.status?.localAddress == "10.64.0.2")

                let remoteClose = try await ControlClient.request(
                    ControlRequest(command: "remote-close", arguments: ["1"]), to: path)
                #expect(remoteClose.ok)
                try await host.expect("\r\n1, CLOSED\r\n")
                let noLink = try await ControlClient.request(ControlRequest(command: "remote-close", arguments: ["2"]), to: path)
                #expect(!noLink.ok)

                #expect(try await ControlClient.request(ControlRequest(command: "pdp-deact"), to: path).ok)
                try await host.expect("\r\n+PDP: DEACT\r\n")
                #expect(try await host.multiStatus().state == "PDP DEACT")

                #expect(try await ControlClient.request(ControlRequest(command: "noise", arguments: ["32"]), to: path).ok)
                _ = try await host.stream.read(count: 32)

                #expect(try await ControlClient.request(ControlRequest(command: "reset"), to: path).ok)
                try await host.expect("\r\nRDY\r\n")
                try await host.expect("\r\nSMS Ready\r\n")
                #expect(try await host.singleState() == "IP INITIAL")

                let unknown = try await ControlClient.send(ControlRequest(command: "explode"), to: path)
                #expect(unknown.contains(#""ok":false"#))
            }
            #expect(access(path, F_OK) != 0, "the control socket is removed on shutdown")
        }
    }

    @Test func faultsFromTheAPI() async throws {
        try await withServer(TestTCPServer.start()) { server in
            try await Harness.run { harness in
                let host = harness.host
                try await harness.modem.setFailActivation(true)
                try await host.command("AT+CSTT=\"internet\"")
                try await host.command("AT+CIICR", until: "\r\nERROR\r\n")
                #expect(try await host.singleState() == "IP CONFIG")
                try await harness.modem.setFailActivation(false)
                try await host.command("AT+CIPSHUT", until: "\r\nSHUT OK\r\n")
                try await host.bringUp()
                try await harness.modem.setRefuseConnects(true)
                try await host.command("AT+CIPSTART=\"TCP\",\"127.0.0.1\",\(server.port)")
                try await host.expect("\r\nCONNECT FAIL\r\n")
                #expect(try await host.singleState() == "TCP CLOSED")
            }
        }
    }

    @Test func allowListRefusesOtherDestinations() async throws {
        try await withServer(TestTCPServer.start()) { server in
            try await Harness.run({ try? $0.modem.allowList.add("10.0.0.0/8") }) { harness in
                let host = harness.host
                try await host.bringUp()
                try await host.command("AT+CIPSTART=\"TCP\",\"127.0.0.1\",\(server.port)")
                try await host.expect("\r\nCONNECT FAIL\r\n")
            }
        }
    }

    /// `AT+CIPPING` measures round trips with TCP connects to port 7: outside `--allow` none is
    /// made, so no attempt gets a reply (a refused connect on loopback would count as one).
    @Test func allowListStopsPings() async throws {
        try await Harness.run({ try? $0.modem.allowList.add("10.0.0.0/8") }) { harness in
            let host = harness.host
            try await host.bringUp()
            let reply = try await host.command("AT+CIPPING=\"127.0.0.1\",3,32,1")
            #expect(reply.components(separatedBy: "\r\n").filter { $0.hasPrefix("+CIPPING:") } == [
                "+CIPPING: 1,\"127.0.0.1\",600,255", "+CIPPING: 2,\"127.0.0.1\",600,255",
                "+CIPPING: 3,\"127.0.0.1\",600,255",
            ])
        }
        // The same ping without a list: loopback refuses port 7 at once, which is a reply.
        try await Harness.run { harness in
            let host = harness.host
            try await host.bringUp()
            let reply = try await host.command("AT+CIPPING=\"127.0.0.1\",1,32,1")
            let line = reply.components(separatedBy: "\r\n").first { $0.hasPrefix("+CIPPING: 1,") }
            #expect(line?.hasSuffix(",64") == true && line?.contains(",600,") == false)
        }
    }

    @Test func dnsQueryResolvesLocalhost() async throws {
        try await Harness.run { harness in
            let host = harness.host
            try await host.bringUp()
            try await host.command("AT+CDNSGIP=\"localhost\"")
            try await host.expect("\r\n+CDNSGIP: 1,\"localhost\",\"127.0.0.1\"")
        }
    }
}

/// A loopback port nobody listens on right now.
func freePort() async throws -> Int {
    let channel = try await ServerBootstrap(group: NIOSingletons.posixEventLoopGroup).bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress!.port!
    try await channel.close()
    return port
}

/// A fresh path in the temporary directory.
func temporaryPath(_ name: String) -> String {
    "\(NSTemporaryDirectory())modemkit-\(name)-\(UInt32.random(in: 0...UInt32.max))"
}
