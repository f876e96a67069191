import ModemCore
import NIOCore

/// Playing a scenario: the modem tells its ``ScenarioRunner`` what happened, wakes when a change is
/// due, and carries the change out. Event loop only.
extension VirtualModem {
    func startScenario(_ scenario: Scenario) {
        if let seed = scenario.seed { simulation.reseed(seed) }
        logger.info("scenario: \(scenario.events.count) events")
        self.scenario = ScenarioRunner(scenario, start: .now())
        scheduleScenario()
    }

    func stopScenario() {
        scenario = nil
        scheduleScenario()
    }

    /// Tells the scenario (if one plays) what the modem did, then makes sure the modem wakes when
    /// the change it may have triggered is due.
    func tellScenario(_ event: (inout ScenarioRunner, NIODeadline) -> Void) {
        guard scenario != nil else { return }
        event(&scenario!, .now())
        scheduleScenario()
    }

    /// Wakes the modem when the scenario's next change is due, and not for a change no longer due.
    private func scheduleScenario() {
        let next = scenario?.nextDeadline
        guard next != scenarioWakeUp?.at else { return }
        scenarioWakeUp?.task.cancel()
        scenarioWakeUp = next.map { deadline in
            (deadline, eventLoop.scheduleTask(deadline: deadline) { self.scenarioChangesDue() })
        }
    }

    private func scenarioChangesDue() {
        scenarioWakeUp = nil
        for event in scenario?.due(at: .now()) ?? [] { apply(event.change, line: event.line) }
        scheduleScenario()
    }

    /// The state words `AT+CIPSTATUS` would report: the modem's, and each link's in multi mode.
    func stateWords() -> [String] {
        let status = modem.status
        return [status.stateWord] + status.linkStateWords
    }

    /// Carries out one scenario change.
    private func apply(_ change: Scenario.Change, line: Int) {
        guard !isShutDown else { return }
        logger.info("scenario line \(line): \(change)")
        switch change {
        case .network(let settings):
            var profile = simulation.profile
            for setting in settings { try? profile.apply(setting) }
            simulation.profile = profile
        case .pdpDrop:
            submit(.network(.contextDeactivated))
        case .remoteClose(let number):
            guard let channel = channel(onLink: number) else {
                logger.info("scenario line \(line): link \(number) has no open socket to close")
                return
            }
            channel.close(promise: nil)
        case .refuseConnects(let on):
            simulation.refuseConnects = on
        case .failActivation(let on):
            simulation.failActivation = on
        case .registration(let registered):
            submit(.network(.registrationChanged(registered: registered)))
        case .signal(let rssi):
            submit(.network(.signalChanged(rssi: rssi)))
        case .reset:
            submit(.reset)
        case .noise(let count):
            writeNoise(count: count)
        }
    }
}
