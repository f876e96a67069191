import ModemProtocol

/// Power-up, functionality and registration: the module's life below the TCP/IP application.
extension Modem {
    /// A power-up, inside whatever input caused it (`AT+CFUN=1,1`, the control interface, the
    /// runtime switching the module on): every connection is dropped, every setting returns to its
    /// power-on value (the saved profile's rate and network-time setting), and the boot messages
    /// and the registration follow at ``ModemConfiguration/powerUp``'s times.
    mutating func powerOn() {
        dropEverything()
        settings = Settings(echo: configuration.echo)
        settings.misc["+IPR"] = profile.baudRate
        settings.misc["+CLTS"] = profile.networkTime ? 1 : 0
        interpreter.reset(maximumLineLength: configuration.maximumLineLength)
        radio.reboot(signalQuality: configuration.identity.signalQuality)
        bearers.reset(actions: &output.actions)
        _ = call.end(actions: &output.actions)
        http = HTTPSession()
        gnss = GNSSReceiver()
        clockSynchronized = false
        let steps = power.powerOn(configuration.powerUp, actions: &output.actions)
        for step in steps { powerUpStep(step) }
    }

    /// The power-up timer fired.
    mutating func powerUpTimerFired() {
        for step in power.timerFired(actions: &output.actions) { powerUpStep(step) }
    }

    private mutating func powerUpStep(_ step: PowerUp.Step) {
        switch step {
        case .uart:
            power.uartUp(autoBauding: profile.baudRate == 0)
        case .ready:
            bootMessage(.ready)
        case .functionality:
            bootMessage(.functionality(1))
        case .sim:
            radio.simBecameReady()
            bootMessage(.simStatus("READY"))
        case .callReady:
            bootMessage(.callReady)
        case .smsReady:
            radio.smsBecameReady()
            if configuration.model.printsSMSReady { bootMessage(.smsReady) }
        case .registration:
            if radio.searchFinished() { registered() }
        }
    }

    /// A URC of the power-up: lost while the UART is not up or has not learnt the rate.
    private mutating func bootMessage(_ message: ModuleResult) {
        guard power.stage == .running else { return }
        emitURC(message)
    }

    /// Changes the functionality level. Leaving full functionality drops the network and the SIM,
    /// and every URC of that comes before the command's `OK` (a real SIM808: `+SAPBR 1: DEACT`,
    /// `+PDP: DEACT`, `+CPIN: NOT READY`, `OK`; TinyGSM #466), after it on a SIM900; coming back,
    /// the SIM's URCs follow the `OK`.
    mutating func setFunctionality(_ level: Int) {
        guard radio.setFunctionality(level) else { return }
        if level == 1 {
            emitURC(.simStatus("READY"))
            emitURC(.callReady)
            if configuration.model.printsSMSReady { emitURC(.smsReady) }
            registrationChanged()
        } else {
            // The radio is off: the PDP context and every open AT+SAPBR bearer go down.
            if context.isActiveOrActivating { contextLost(announce: true) } else { bearersLost() }
            releaseCall()
            emitURC(.simStatus("NOT READY"))
            registrationChanged()
            // A SIM900 answers OK first and prints them afterwards (TinyGSM #60).
            if configuration.model != .sim900 { flushHeldOutput() }
        }
    }

    /// The network (re)registered the module: the registration URCs, and with `AT+CLTS=1` the
    /// network's time.
    mutating func registered() {
        registrationChanged()
        if settings.misc["+CLTS"] == 1 { takeNetworkTime() }
    }

    /// Reports a registration change with `+CREG: <stat>` / `+CGREG: <stat>` where the host enabled it.
    mutating func registrationChanged() {
        let status = radio.registrationStatus
        for (name, mode) in [("+CREG", radio.registrationReports), ("+CGREG", radio.gprsRegistrationReports)] {
            switch mode {
            case 1: emitURC("\(name): \(status)")
            case 2: emitURC(radio.registered ? "\(name): \(status),\"1A2B\",\"0C3D\"" : "\(name): \(status)")
            default: break
            }
        }
    }

    /// `AT+CLTS=1` and a registration: the module sets its clock from the network's and says so.
    private mutating func takeNetworkTime() {
        guard let time = networkClock?() else { return }
        clockSynchronized = true
        let identity = configuration.identity
        for line in time.announcements(network: identity.network, operatorName: identity.operatorName) {
            emitURC(line)
        }
    }

    /// What `AT+CCLK?` shows: the network's time once taken, else the clock's power-on value.
    var clockText: String {
        if clockSynchronized, let time = networkClock?() { return time.clockText }
        return configuration.identity.clock
    }
}
