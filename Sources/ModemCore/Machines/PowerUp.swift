/// A power-up in progress (SIM800 hardware design §4.2, SIM800 manual §2.2.41.1): first the UART
/// comes up, then the boot messages and the registration follow at their times, one step each
/// time the runtime's ``ModemTimer/powerUp`` timer fires.
struct PowerUp: Equatable, Sendable {
    /// What the serial line does.
    enum Stage: Equatable, Sendable {
        /// The UART is not up yet: host bytes are lost and nothing is written.
        case booting
        /// Auto-bauding: the UART waits for `AT` or `at` to learn the rate; the bytes before it
        /// are lost, and so is the module's own output. `a`: the last byte seen, when it was `A`/`a`.
        case awaitingBaudRate(a: UInt8?)
        /// Commands are read and answered.
        case running
    }

    /// The steps of a power-up, in the order they come.
    enum Step: Equatable, Sendable {
        case uart, ready, functionality, sim, callReady, smsReady, registration
    }

    private(set) var stage = Stage.running
    /// The steps still to come, each with its time since power-on, in order.
    private var schedule: [(step: Step, at: Duration)] = []
    private var elapsed = Duration.zero

    static func == (lhs: PowerUp, rhs: PowerUp) -> Bool {
        lhs.stage == rhs.stage && lhs.elapsed == rhs.elapsed
            && lhs.schedule.map(\.step) == rhs.schedule.map(\.step) && lhs.schedule.map(\.at) == rhs.schedule.map(\.at)
    }

    /// Whether the module is still booting (a step is still to come).
    var inProgress: Bool { !schedule.isEmpty }

    /// Power-on: the UART is down until ``Step/uart``. Returns the steps due at once (an instant
    /// power-up: all of them); a timer is started for the first one that is not.
    mutating func powerOn(_ timing: PowerUpTiming, actions: inout [ModemAction]) -> [Step] {
        var steps: [(step: Step, at: Duration)] = [
            (.uart, timing.uart), (.ready, timing.ready), (.functionality, timing.functionality),
            (.sim, timing.sim), (.callReady, timing.callReady), (.smsReady, timing.smsReady),
        ]
        steps.append((.registration, timing.registration))
        // A step never comes before the one it follows.
        var latest = Duration.zero
        schedule = steps.map { step in
            latest = max(latest, step.at)
            return (step.step, latest)
        }
        elapsed = .zero
        stage = .booting
        actions.append(.cancelTimer(.powerUp))
        return dueSteps(actions: &actions)
    }

    /// The power-up timer fired: the steps due now.
    mutating func timerFired(actions: inout [ModemAction]) -> [Step] {
        guard let next = schedule.first else { return [] }
        elapsed = next.at
        return dueSteps(actions: &actions)
    }

    /// The UART is up: commands are read, at once or (auto-bauding) once `AT` comes.
    mutating func uartUp(autoBauding: Bool) {
        stage = autoBauding ? .awaitingBaudRate(a: nil) : .running
    }

    /// Auto-bauding: host bytes until the first `AT`/`at` are dropped. Returns the index in
    /// `bytes` from which commands are read, or `nil` when all were dropped; `replay`: the `A` of
    /// the `AT`, when it came at the end of an earlier input and must be read first.
    mutating func detectBaudRate(in bytes: ArraySlice<UInt8>) -> (start: Int, replay: UInt8?)? {
        guard case .awaitingBaudRate(var a) = stage else { return (bytes.startIndex, nil) }
        for index in bytes.indices {
            let byte = bytes[index]
            if let first = a, byte == UInt8(ascii: "T") || byte == UInt8(ascii: "t") {
                stage = .running
                return index == bytes.startIndex ? (index, first) : (index - 1, nil)
            }
            a = byte == UInt8(ascii: "A") || byte == UInt8(ascii: "a") ? byte : nil
        }
        stage = .awaitingBaudRate(a: a)
        return nil
    }

    /// The steps whose time has come, taken off the schedule; a timer for the next.
    private mutating func dueSteps(actions: inout [ModemAction]) -> [Step] {
        var due: [Step] = []
        while let next = schedule.first, next.at <= elapsed {
            due.append(next.step)
            schedule.removeFirst()
        }
        if let next = schedule.first { actions.append(.startTimer(.powerUp, after: next.at - elapsed)) }
        return due
    }
}
