import ModemCore
import NIOCore

/// What tests, the control socket and `modem ctl` do to a running modem. Callable from any thread:
/// each call runs on the modem's event loop.
extension VirtualModem {
    /// Everything the host could observe, as `AT+CIPSTATUS` and the settings report it.
    public func snapshot() async throws -> ModemSnapshot {
        try await eventLoop.submit { self.modem.snapshot }.get()
    }

    /// The current faults.
    public func faults() async throws -> (failActivation: Bool, refuseConnects: Bool) {
        try await eventLoop.submit { (self.simulation.failActivation, self.simulation.refuseConnects) }.get()
    }

    /// The network releases the PDP context (`+PDP: DEACT`).
    public func deactivateContext() async throws {
        try await onLoop { $0.submit(.network(.contextDeactivated)) }
    }

    /// Makes the network refuse (or grant again) PDP context activations.
    public func setFailActivation(_ on: Bool) async throws {
        try await onLoop { $0.simulation.failActivation = on }
    }

    /// Makes the network refuse (or allow again) every new connection.
    public func setRefuseConnects(_ on: Bool) async throws {
        try await onLoop { $0.simulation.refuseConnects = on }
    }

    /// Closes the socket behind link `number` from the network side: the core sees the peer close.
    public func closeFromNetwork(link number: Int) async throws {
        try await eventLoop.submit {
            guard let channel = self.channel(onLink: number) else { throw EmulatorError.noSuchLink(number) }
            self.logger.info("closing link \(number) from the network side")
            channel.close(promise: nil)
        }.get()
    }

    /// Reboots the module: sockets close, settings return to power-on values, `RDY` … `SMS Ready`
    /// and the registration follow at the configured power-up times.
    public func reset() async throws {
        try await onLoop { $0.submit(.reset) }
    }

    /// Switches the module on when the emulator starts: with a timed power-up
    /// (``ModemCore/ModemConfiguration/powerUp``) the boot messages and the registration follow
    /// at their times; with an instant one the module is already on and says nothing.
    func switchOn() async throws {
        try await onLoop { virtual in
            guard virtual.modem.configuration.powerUp != .instant else { return }
            virtual.logger.debug("powering up")
            virtual.submit(.reset)
        }
    }

    /// Writes `count` random bytes of line noise to the host (the same bytes for the same `--seed`).
    public func injectNoise(count: Int) async throws {
        try await onLoop { $0.writeNoise(count: count) }
    }

    /// The network links meet now.
    public func network() async throws -> NetworkProfile {
        try await eventLoop.submit { self.simulation.profile }.get()
    }

    /// Changes the network for every link, open ones included; data already in flight keeps its timing.
    public func setNetwork(_ profile: NetworkProfile) async throws {
        try await onLoop { modem in
            modem.logger.info("network: \(profile)")
            modem.simulation.profile = profile
        }
    }

    /// Network registration is lost (`false`) or regained (`+CREG`/`+CGREG` URCs when the host enabled them).
    public func setRegistered(_ registered: Bool) async throws {
        try await onLoop { $0.submit(.network(.registrationChanged(registered: registered))) }
    }

    /// The signal quality `AT+CSQ` reports changes (RSSI 0–31, 99 unknown).
    public func setSignal(rssi: Int) async throws {
        try await onLoop { $0.submit(.network(.signalChanged(rssi: rssi))) }
    }

    /// Starts playing `scenario` now, replacing one that is playing.
    public func play(_ scenario: Scenario) async throws {
        try await onLoop { $0.startScenario(scenario) }
    }

    /// Closes every socket, timer and the serial line; the modem takes no more input.
    public func shutdown() async {
        let closes: [EventLoopFuture<Void>]? = try? await eventLoop.submit {
            self.isShutDown = true
            self.stopScenario()
            self.wakeUp?.task.cancel()
            self.wakeUp = nil
            self.deadlines.removeAll()
            self.activation?.cancel()
            var channels = self.sockets.values.compactMap(\.channel) + self.incoming.values.compactMap(\.channel)
            for socket in self.sockets.values { socket.pendingStart?.cancel() }
            self.sockets.removeAll()
            self.incoming.removeAll()
            if let server = self.serverChannel { channels.append(server) }
            self.serverChannel = nil
            self.serial.close()
            return channels.map { $0.close() }
        }.get()
        for close in closes ?? [] { try? await close.get() }
    }

    private func onLoop(_ body: @escaping @Sendable (VirtualModem) -> Void) async throws {
        try await eventLoop.submit { body(self) }.get()
    }
}
