import NIOCore

/// The serial line's side of the modem: the host attaching and leaving, its input fed to the core
/// in bounded pieces, and reading stopped while replies cannot be written. Event loop only.
extension VirtualModem {
    /// Whether a host is attached to the serial line.
    var hasSerialHost: Bool { serial.channel != nil }

    func attachSerial(_ channel: any Channel) {
        guard serial.channel !== channel else { return }
        serialReading = true
        serial.attach(channel)
        logger.debug("serial channel attached")
        updateSerialReading()
        if let scenario = configuration.scenario, self.scenario == nil { startScenario(scenario) }
    }

    func detachSerial(_ channel: any Channel) {
        guard serial.channel === channel else { return }
        serial.detach(channel)
        // What the departed host wrote and the modem had not read yet is gone with its line.
        hostInput.removeAll()
        hostInputHead = 0
        logger.debug("serial channel detached; the modem keeps its state")
    }

    func serialReceived(_ bytes: [UInt8]) {
        serial.received(bytes)
        if hostInputHead == hostInput.count, bytes.count <= Self.inputPiece, !serial.isBlocked, !processing {
            submit(.serial(bytes))
        } else {
            hostInput.append(contentsOf: bytes)
            feedHostInput()
        }
    }

    /// Gives the core the host's input that waits, a piece at a time, while replies can be written.
    func feedHostInput() {
        guard !feeding, !processing else { return }
        feeding = true
        defer { feeding = false }
        while hostInputHead < hostInput.count, !serial.isBlocked {
            let end = min(hostInput.count, hostInputHead + Self.inputPiece)
            let piece = Array(hostInput[hostInputHead..<end])
            hostInputHead = end
            submit(.serial(piece))
        }
        if hostInputHead == hostInput.count {
            hostInput.removeAll(keepingCapacity: hostInput.count <= Self.inputPiece)
            hostInputHead = 0
        }
        updateSerialReading()
    }

    func serialWritabilityChanged() {
        serial.writabilityChanged()
    }

    /// The host's input is read unless replies cannot be written (the host does not read, paced
    /// output is over its limit) or the core applies flow control: a host that stops reading
    /// stops the modem, as a UART with RTS/CTS would, instead of growing its output without bound.
    func updateSerialReading() {
        guard let channel = serial.channel else { return }
        let read = !serial.isBlocked && !hostInputStopped && hostInput.count - hostInputHead < Self.inputPiece
        guard read != serialReading else { return }
        serialReading = read
        channel.setOption(ChannelOptions.autoRead, value: read).whenFailure { _ in }
    }

    /// Line noise goes only where there is room: on a line whose host does not read, it is lost
    /// (a full UART FIFO) rather than queued.
    func writeNoise(count: Int) {
        guard !serial.isBlocked else {
            logger.debug("line noise dropped: the host is not reading")
            return
        }
        serial.write(simulation.noise(count: count))
    }
}
