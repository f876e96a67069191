import ModemEmulator
import TestSupport
import Testing

/// 1 MiB of random bytes each way through the PTY and a real loopback socket, checked byte for byte.
@Suite struct TransferTests {
    static let size = 1 << 20

    @Test func singleModeTCP() async throws {
        try await withServer(TestTCPServer.start()) { server in
            try await Harness.run { harness in
                let host = harness.host
                try await host.bringUp()
                try await host.command("AT+CIPHEAD=1")
                try await host.open(port: server.port)
                #expect(try await host.singleState() == "CONNECT OK")

                let payload = randomBytes(Self.size)
                let start = ContinuousClock.now
                let echoed = try await host.transfer(payload, link: nil, stopAndWait: false)
                report("single TCP", ContinuousClock.now - start)
                #expect(echoed == payload)

                try await host.command("AT+CIPCLOSE", until: "\r\nCLOSE OK\r\n")
                try await host.waitFor("TCP CLOSED") { try await host.singleState() }
                try await host.command("AT+CIPSHUT", until: "\r\nSHUT OK\r\n")
                #expect(try await host.singleState() == "IP INITIAL")
            }
        }
    }

    @Test func multiModeTCP() async throws {
        try await withServer(TestTCPServer.start()) { server in
            try await Harness.run { harness in
                let host = harness.host
                try await host.command("AT+CIPMUX=1")
                try await host.bringUp()
                try await host.open(link: 2, port: server.port)
                #expect(try await host.linkState(2) == "CONNECTED")

                let payload = randomBytes(Self.size)
                let start = ContinuousClock.now
                let echoed = try await host.transfer(payload, link: 2, stopAndWait: false)
                report("multi TCP", ContinuousClock.now - start)
                #expect(echoed == payload)

                try await host.command("AT+CIPCLOSE=2", until: "\r\n2, CLOSE OK\r\n")
                try await host.waitFor("CLOSED") { try await host.linkState(2) }
                #expect(try await host.multiStatus().state == "IP STATUS")
            }
        }
    }

    @Test func singleModeUDP() async throws {
        try await withServer(TestUDPEchoServer.start()) { server in
            try await Harness.run { harness in
                let host = harness.host
                try await host.bringUp()
                try await host.command("AT+CIPHEAD=1")
                try await host.open(.udp, port: server.port)

                let payload = randomBytes(Self.size)
                let start = ContinuousClock.now
                let echoed = try await host.transfer(payload, link: nil, stopAndWait: true)
                report("single UDP", ContinuousClock.now - start)
                #expect(echoed == payload)

                try await host.command("AT+CIPCLOSE", until: "\r\nCLOSE OK\r\n")
                try await host.waitFor("UDP CLOSED") { try await host.singleState() }
            }
        }
    }

    @Test func multiModeUDP() async throws {
        try await withServer(TestUDPEchoServer.start()) { server in
            try await Harness.run { harness in
                let host = harness.host
                try await host.command("AT+CIPMUX=1")
                try await host.bringUp()
                try await host.open(link: 5, .udp, port: server.port)

                let payload = randomBytes(Self.size)
                let start = ContinuousClock.now
                let echoed = try await host.transfer(payload, link: 5, stopAndWait: true)
                report("multi UDP", ContinuousClock.now - start)
                #expect(echoed == payload)

                try await host.command("AT+CIPCLOSE=5", until: "\r\n5, CLOSE OK\r\n")
                try await host.waitFor("CLOSED") { try await host.linkState(5) }
            }
        }
    }

    private func report(_ what: String, _ elapsed: Duration) {
        print("[ModemEmulatorTests] 1 MiB each way, \(what): \(elapsed)")
    }
}
