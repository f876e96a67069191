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
    /// A step and its time since power-on.
    private struct Due: Equatable, Sendable {
        var step: Step
        var at: Duration
    }

    /// The steps still to come, in order.
    private var schedule: [Due] = []
    private var elapsed = Duration.zero

    /// Power-on: the UART is down until ``Step/uart``. Returns the steps due at once (an instant
    /// power-up: all of them); a timer is started for the first one that is not.
    mutating func powerOn(_ timing: PowerUpTiming, actions: inout [ModemAction]) -> [Step] {
        let steps: [Due] = [
            Due(step: .uart, at: timing.uart), Due(step: .ready, at: timing.ready),
            Due(step: .functionality, at: timing.functionality), Due(step: .sim, at: timing.sim),
            Due(step: .callReady, at: timing.callReady), Due(step: .smsReady, at: timing.smsReady),
            Due(step: .registration, at: timing.registration),
        ]
        // A step never comes before the one it follows.
        var latest = Duration.zero
        schedule = steps.map { due in
            latest = max(latest, due.at)
            return Due(step: due.step, at: latest)
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
