import ModemCore
import ModemProtocol
import NIOCore
import NIOPosix

/// A link's socket: connecting (after the network's delay, refusals and the allow list), sending,
/// closing, and passing what arrives to the core. Event loop only.
extension VirtualModem {
    /// The kernel send buffer of a link's TCP socket. A module's TCP stack holds little; without a
    /// bound, Linux grows it to megabytes, and a peer that stops reading would take that much
    /// before `SEND OK` stops coming (and 10,000 modems would pin that much kernel memory).
    static let linkSocketSendBuffer: SocketOptionValue = 64 * 1024

    func connect(_ id: ConnectionID, _ transport: TransportProtocol, host: String, port: Int) {
        let socket = LinkSocket(id: id, transport: transport)
        sockets[id] = socket
        let start: @Sendable () -> Void = {
            socket.pendingStart = nil
            guard self.sockets[id] === socket else { return }
            guard !self.simulation.refuseConnects else {
                self.logger.info("connection to \(host):\(port) refused (refuse-connects is on)")
                self.connectFailed(socket)
                return
            }
            self.lookUp(host).whenComplete { result in
                guard self.sockets[id] === socket else { return }
                guard case .success(let addresses) = result, let address = addresses.first else {
                    self.logger.info("connection to \(host):\(port) failed: the name does not resolve")
                    self.connectFailed(socket)
                    return
                }
                guard self.simulation.allows(host: host, address: address) else {
                    self.logAllowListRefusal("connection to \(host):\(port) (\(address)) refused")
                    self.connectFailed(socket)
                    return
                }
                self.open(socket, address: address, host: host, port: port)
            }
        }
        let delay = simulation.connectDelay()
        if delay > .zero {
            socket.pendingStart = eventLoop.scheduleTask(in: delay.timeAmount, start)
        } else {
            start()
        }
    }

    private func open(_ socket: LinkSocket, address: String, host: String, port: Int) {
        let remote: SocketAddress
        do {
            remote = try SocketAddress(ipAddress: address, port: port)
        } catch {
            connectFailed(socket)
            return
        }
        let connection: EventLoopFuture<any Channel>
        switch socket.transport {
        case .tcp:
            connection = ClientBootstrap(group: eventLoop)
                .channelOption(.allowRemoteHalfClosure, value: true)
                .channelOption(.autoRead, value: false)
                .channelOption(.socketOption(.so_sndbuf), value: Self.linkSocketSendBuffer)
                .connectTimeout(configuration.modem.timeouts.connect.timeAmount + .seconds(1))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try self.addStreamHandlers(to: channel, socket: socket) }
                }
                .connect(to: remote)
        case .udp:
            connection = DatagramBootstrap(group: eventLoop)
                .channelOption(.autoRead, value: false)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try self.addDatagramHandlers(to: channel, socket: socket) }
                }
                .connect(to: remote)
        }
        connection.whenComplete { result in
            switch result {
            case .success(let channel):
                guard let id = socket.id, self.sockets[id] === socket else {
                    channel.close(promise: nil)
                    return
                }
                socket.channel = channel
                self.logger.debug("link socket open", metadata: ["connection": "\(id)", "remote": "\(remote)"])
                self.submit(.network(.connected(id, remoteAddress: address)))
                self.updateReading(socket)
            case .failure(let error):
                self.logger.info("connection to \(host):\(port) failed: \(error)")
                self.connectFailed(socket)
            }
        }
    }

    /// The pipeline of a TCP link's socket, outgoing or accepted by the server.
    func addStreamHandlers(to channel: any Channel, socket: LinkSocket) throws {
        let handler = LinkHandler<ByteBuffer>(modem: self, socket: socket)
        try channel.pipeline.syncOperations.addHandlers(
            LinkShaper(streamOn: simulation, eventLoop: channel.eventLoop, to: handler), handler)
    }

    /// The pipeline of a UDP link's socket.
    private func addDatagramHandlers(to channel: any Channel, socket: LinkSocket) throws {
        let handler = LinkHandler<AddressedEnvelope<ByteBuffer>>(modem: self, socket: socket)
        try channel.pipeline.syncOperations.addHandlers(
            LinkShaper(datagramsOn: simulation, eventLoop: channel.eventLoop, to: handler), handler)
    }

    /// Logs a destination outside `--allow` that nothing was sent to; `what` says what was not done.
    func logAllowListRefusal(_ what: String) {
        logger.warning(
            "\(what): not in the --allow list", metadata: ["allow": "\(simulation.allowList.entries.map(\.description))"])
    }

    private func connectFailed(_ socket: LinkSocket) {
        guard let id = socket.id, sockets[id] === socket else { return }
        sockets[id] = nil
        guard simulation.reportsFailedConnects else {
            // A real module keeps trying until its own AT+CIPSTART timeout ends the attempt.
            logger.debug("connection failure left to the module's connect timeout", metadata: ["connection": "\(id)"])
            return
        }
        submit(.network(.connectFailed(id)))
    }

    func send(_ bytes: [UInt8], on id: ConnectionID) {
        guard let channel = sockets[id]?.channel else {
            logger.debug("data for a link without a socket dropped", metadata: ["connection": "\(id)"])
            return
        }
        if scenario?.watchesBytes == true, let number = linkNumber(of: id) {
            tellScenario { $0.sent(link: number, count: bytes.count, at: $1) }
        }
        // The core counts the bytes against the link's send buffer until the socket (through
        // the shaper) has taken them.
        let count = bytes.count
        let written = eventLoop.makePromise(of: Void.self)
        written.futureResult.whenSuccess { self.submit(.network(.sent(id, count: count))) }
        channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: written)
    }

    func close(_ id: ConnectionID, graceful: Bool) {
        guard let socket = sockets[id] else { return }
        guard graceful, let channel = socket.channel else {
            sockets[id] = nil
            socket.pendingStart?.cancel()
            socket.channel?.close(promise: nil)
            return
        }
        socket.closingGracefully = true
        switch socket.transport {
        case .tcp:
            // FIN now; the peer's FIN (or the channel closing) completes the close.
            updateReading(socket)
            channel.close(mode: .output).whenFailure { _ in channel.close(promise: nil) }
        case .udp:
            // Deregistering the port takes the network `udpCloseDelay`.
            socket.peerClosed = true
            socket.pendingStart = eventLoop.scheduleTask(in: simulation.udpCloseDelay.timeAmount) {
                guard self.sockets[id] === socket else { return }
                channel.close(promise: nil)
                self.submit(.network(.closed(id)))
            }
        }
    }

    /// The socket of link `number`, if it has one open, for a close from the network side.
    func channel(onLink number: Int) -> (any Channel)? {
        guard let id = modem.connection(onLink: number) else { return nil }
        return sockets[id]?.channel
    }

    /// The core paused (or resumed) reading link `id`'s socket.
    func setPaused(_ paused: Bool, _ id: ConnectionID) {
        guard let socket = sockets[id] else { return }
        socket.pausedByModem = paused
        updateReading(socket)
    }

    /// Reading is on unless the core paused the link or the serial side is backed up; a link
    /// that is closing keeps reading so that the peer's FIN arrives (its data is discarded).
    func updateReading(_ socket: LinkSocket) {
        guard let channel = socket.channel, socket.id != nil else { return }
        let read = socket.closingGracefully || (!socket.pausedByModem && !serial.isBlocked)
        guard read != socket.reading else { return }
        socket.reading = read
        channel.setOption(ChannelOptions.autoRead, value: read).whenFailure { _ in }
    }

    func linkReceived(_ socket: LinkSocket, _ bytes: [UInt8]) {
        guard let id = socket.id, sockets[id] === socket else { return }
        if scenario?.watchesBytes == true, let number = linkNumber(of: id) {
            tellScenario { $0.received(link: number, count: bytes.count, at: $1) }
        }
        submit(.network(.received(id, bytes)))
    }

    private func linkNumber(of id: ConnectionID) -> Int? {
        (0..<modem.linkCount).first { modem.connection(onLink: $0) == id }
    }

    /// The peer closed (FIN, reset) or the socket closed under us.
    func linkClosedByPeer(_ socket: LinkSocket) {
        guard let id = socket.id else {
            if let token = incoming.first(where: { $0.value === socket })?.key { incoming[token] = nil }
            return
        }
        guard sockets[id] === socket, !socket.peerClosed else { return }
        socket.peerClosed = true
        submit(.network(socket.closingGracefully ? .closed(id) : .remoteClosed(id)))
    }
}
