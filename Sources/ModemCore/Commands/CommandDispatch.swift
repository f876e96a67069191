import ModemProtocol

extension Modem {
    /// Runs one command of a line. Unknown commands fail with `ERROR` and change nothing.
    mutating func execute(_ command: ATCommand) -> CommandOutcome {
        if let refusal = bootRefusal(command) { return refusal }
        if let outcome = executeGeneral(command) { return outcome }
        if let outcome = executeContext(command) { return outcome }
        if let outcome = executeConnection(command) { return outcome }
        if let outcome = executeData(command) { return outcome }
        if let outcome = executeBearer(command) { return outcome }
        if let outcome = executeTransparent(command) { return outcome }
        if let outcome = executeMessage(command) { return outcome }
        if let outcome = executeCall(command) { return outcome }
        if let outcome = executeService(command) { return outcome }
        if let outcome = executeHTTP(command) { return outcome }
        if let outcome = executeGNSS(command) { return outcome }
        return .error(nil)
    }
}

/// Commands that need the SIM, or the SMS service, during a power-up (real logs: `AT+CPIN?` gets
/// `ERROR` or `+CME ERROR: SIM busy` until `+CPIN: READY`, `AT+CMGF=1` gets `ERROR` until `SMS Ready`).
extension Modem {
    static let simCommands: Set<String> = [
        "+CPIN", "+CIMI", "+CCID", "+CNUM", "+CPBS", "+CPBR", "+CPBW", "+CPBF", "+CSCA",
    ]
    static let smsCommands: Set<String> = [
        "+CMGF", "+CMGS", "+CMGR", "+CMGL", "+CMGD", "+CMGDA", "+CMGW", "+CMSS", "+CPMS", "+CNMI", "+CSMP", "+CSDH",
    ]

    /// The error a command gets because the power-up has not got that far; `nil` when it runs.
    func bootRefusal(_ command: ATCommand) -> CommandOutcome? {
        if !radio.simReady, Self.simCommands.contains(command.name) { return .error(.simBusy) }
        if !radio.smsReady, Self.smsCommands.contains(command.name) { return .error(nil) }
        return nil
    }
}

/// Reading the arguments of a write form.
extension ATCommand {
    /// The integer argument at `index` when it lies in `range` (unquoted).
    func integer(_ index: Int, in range: ClosedRange<Int>) -> Int? {
        let arguments = self.arguments
        guard arguments.indices.contains(index), let value = arguments[index].integer, range.contains(value) else {
            return nil
        }
        return value
    }

    /// The value of a write form with exactly one integer argument in `range`.
    func singleInteger(in range: ClosedRange<Int>) -> Int? {
        guard arguments.count == 1 else { return nil }
        return integer(0, in: range)
    }
}

extension Modem {
    /// A 0/1 (or wider) setting with read, test and write forms, e.g. `AT+CIPHEAD`.
    mutating func flagSetting(
        _ command: ATCommand, range: ClosedRange<Int>, current: Int, set: (inout Modem, Int) -> Void
    ) -> CommandOutcome {
        switch command.form {
        case .read:
            info("\(command.name): \(current)")
            return .ok
        case .test:
            let values = range.count == 2 ? "(\(range.lowerBound),\(range.upperBound))" : "(\(range.lowerBound)-\(range.upperBound))"
            info("\(command.name): \(values)")
            return .ok
        case .write:
            guard let value = command.singleInteger(in: range) else { return .error(.incorrectParameters) }
            set(&self, value)
            return .ok
        case .execute:
            return .error(nil)
        }
    }

    /// A command with an execute form only (`AT+CIICR`, `AT+CIPSHUT`): its test form answers `OK`,
    /// the others `ERROR`.
    mutating func executeOnly(_ command: ATCommand, _ execute: (inout Modem) -> CommandOutcome) -> CommandOutcome {
        switch command.form {
        case .test: .ok
        case .read, .write: .error(nil)
        case .execute: execute(&self)
        }
    }

    /// ``flagSetting(_:range:current:set:)`` for an on/off setting.
    mutating func flagSetting(_ command: ATCommand, range: ClosedRange<Int>, _ setting: WritableKeyPath<Settings, Bool>) -> CommandOutcome {
        flagSetting(command, range: range, current: settings[keyPath: setting] ? 1 : 0) {
            $0.settings[keyPath: setting] = $1 == 1
        }
    }

    /// ``flagSetting(_:range:current:set:)`` for a numeric setting.
    mutating func flagSetting(_ command: ATCommand, range: ClosedRange<Int>, _ setting: WritableKeyPath<Settings, Int>) -> CommandOutcome {
        flagSetting(command, range: range, current: settings[keyPath: setting]) { $0.settings[keyPath: setting] = $1 }
    }
}
