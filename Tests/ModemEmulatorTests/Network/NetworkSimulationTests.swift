import ModemCore
import Testing

@testable import ModemEmulator

/// The network simulation answers the runtime's questions from its settings and seeded streams.
struct NetworkSimulationTests {
    static func configuration(_ configure: (inout EmulatorConfiguration) -> Void = { _ in }) -> EmulatorConfiguration {
        var configuration = EmulatorConfiguration()
        configure(&configuration)
        return configuration
    }

    @Test func theSameSeedDrawsTheSameAndReseedingStartsOver() {
        let realistic = Self.configuration {
            $0.timing = .realistic
            $0.network = .gprs
            $0.seed = 9
        }
        let first = NetworkSimulation(configuration: realistic)
        let second = NetworkSimulation(configuration: realistic)
        let draws = { (simulation: NetworkSimulation) in
            [simulation.activationDelay(), simulation.connectDelay(), simulation.lookupDelay(of: "example.com")!,
             simulation.latency()]
        }
        let drawn = draws(first)
        #expect(drawn == draws(second))
        #expect(first.noise(count: 16) == second.noise(count: 16))
        first.reseed(9)
        #expect(draws(first) == drawn)
        #expect(NetworkSimulation(configuration: Self.configuration { $0.seed = 10 }).noise(count: 16) != second.noise(count: 16))
    }

    @Test func instantTimingAddsNoRoundTrips() {
        let simulation = NetworkSimulation(
            configuration: Self.configuration {
                $0.network = .gprs
                $0.connectDelay = .milliseconds(7)
            })
        #expect(simulation.connectDelay() == .milliseconds(7))
        #expect(simulation.lookupDelay(of: "example.com") == nil)
        #expect(simulation.pingRoundTrip(measured: .milliseconds(3)) == .milliseconds(3))
        #expect(simulation.reportsFailedConnects)
    }

    @Test func realisticTimingWaitsForTheNetwork() {
        let simulation = NetworkSimulation(
            configuration: Self.configuration {
                $0.timing = .realistic
                $0.network = .gprs
            })
        let delays = (0..<50).map { _ in simulation.connectDelay() }
        #expect(delays.allSatisfy { (.milliseconds(300) ... .milliseconds(1100)).contains($0) })
        #expect(simulation.lookupDelay(of: "10.0.0.1") == nil)
        #expect(!simulation.reportsFailedConnects)
        #expect(simulation.coreConfiguration(ModemConfiguration()).responseTimes.shut == .milliseconds(700))
    }

    @Test func activationIsRefusedWhenTheNetworkAnswersUnderTheFault() {
        let simulation = NetworkSimulation(configuration: Self.configuration { $0.localAddress = "10.1.2.3" })
        #expect(simulation.activationDelay() == .milliseconds(300))
        #expect(simulation.activationOutcome() == .granted(localAddress: "10.1.2.3"))
        simulation.failActivation = true
        #expect(simulation.activationOutcome() == .refused)
    }
}
