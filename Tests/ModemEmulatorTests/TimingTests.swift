import ModemEmulator
import TestSupport
import Testing

/// `--timing realistic`: commands that wait for the network take the time a real module shows, and
/// a connection that cannot be made ends with `CONNECT FAIL` only at the module's own timeout.
/// The real figures (seconds, 75 s) are shortened here; the mechanism is the same. Lower bounds are
/// exact (the delay was applied); upper bounds leave room for a loaded 2-core machine.
@Suite(.machineLoad, .timeLimit(.minutes(3)))
struct TimingTests {
    @Test func activationTakesTheConfiguredTime() async throws {
        var timing = CommandTiming.realistic
        timing.activation = .milliseconds(200) ... .milliseconds(300)
        try await Harness.run({ $0.modem.timing = timing }) { harness in
            let host = harness.host
            try await host.command("AT+CSTT=\"internet\"")
            let start = ContinuousClock.now
            try await host.command("AT+CIICR")
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(200) && elapsed < .milliseconds(300) + .milliseconds(700), "\(elapsed)")
        }
    }

    @Test func connectWaitsOneRoundTrip() async throws {
        try await withServer(TestTCPServer.start()) { server in
            try await Harness.run({
                $0.modem.timing = .realistic
                $0.modem.timing.activation = nil
                $0.modem.network.delay = .milliseconds(100) ... .milliseconds(100)
            }) { harness in
                let host = harness.host
                try await host.bringUp()
                let start = ContinuousClock.now
                try await host.open(port: server.port)
                let elapsed = ContinuousClock.now - start
                #expect(elapsed >= .milliseconds(200) && elapsed < .milliseconds(1000), "\(elapsed)")
            }
        }
    }

    /// A refusing host: instant timing reports `CONNECT FAIL` at once; realistic timing only when the
    /// module's connect timeout (75 s on a SIM800, 1 s here) runs out.
    @Test(arguments: [false, true]) func connectFailComesAtTheModuleTimeout(realistic: Bool) async throws {
        let port = try await freePort()
        let timeout = Duration.seconds(1)
        try await Harness.run({
            $0.modem.timing = realistic ? .realistic : .instant
            $0.modem.timing.activation = nil
            $0.modem.modem.timeouts.connect = timeout
        }) { harness in
            let host = harness.host
            try await host.bringUp()
            let start = ContinuousClock.now
            try await host.command("AT+CIPSTART=\"TCP\",\"127.0.0.1\",\(port)")
            try await host.expect("\r\nSTATE: TCP CLOSED\r\n\r\nCONNECT FAIL\r\n")
            let elapsed = ContinuousClock.now - start
            if realistic {
                #expect(elapsed >= timeout && elapsed < timeout + .seconds(1), "\(elapsed)")
            } else {
                #expect(elapsed < timeout, "\(elapsed)")
            }
            #expect(try await host.singleState() == "TCP CLOSED")
        }
    }
}
