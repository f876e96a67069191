import Logging
import ModemCore
import ModemProtocol
import NIOCore
import NIOPosix

/// One emulated module: a ``ModemCore/Modem`` state machine and the runtime that carries out its
/// actions on real sockets, timers and a serial line.
///
/// The state machine is owned by one NIO event loop and touched only there, so no lock guards the
/// protocol logic; every channel of this modem (links, server, serial line) lives on that loop too.
/// Inputs reach the machine in the order they happen; an input produced while actions run (a close
/// that fires `channelInactive` at once) is queued and fed in after them, never re-entrantly.
/// The runtime makes no protocol decision: replies and states all come from the core.
///
/// Buffers are bounded on every path, and a full one stops its producer. Serial output: when the
/// host stops reading (the channel is not writable, or paced output passes
/// ``EmulatorConfiguration/serialOutputLimit``) the modem stops reading the host's input and every
/// link's socket until the host catches up; host input reaches the core in pieces of at most
/// ``inputPiece`` bytes so that one read cannot answer in an unbounded burst. Sends: the core keeps
/// at most ``ModemCore/ModemConfiguration/sendBufferLimit`` bytes a link that the socket (through the
/// shaper) has not taken, and a link's TCP socket holds at most ``linkSocketSendBuffer`` in the
/// kernel: a peer that stops reading stops `SEND OK`, `DATA ACCEPT` and, in transparent mode, the
/// serial line. `AT+CIPRXGET=1` data: the core keeps at most `receiveBufferLimit` (64 KiB) unread
/// bytes a link; at the limit it pauses a TCP link, which turns its socket's reading off so the
/// peer meets TCP back-pressure (reading resumes once the host has read the buffer down to half),
/// and it drops a UDP datagram that does not fit whole, as a module whose buffer is full does. A
/// read already in progress may overshoot a limit by one NIO read cycle.
public final class VirtualModem: @unchecked Sendable {
    // @unchecked: every mutable property is accessed only on `eventLoop`.

    /// Which modem of the process this is (0 unless `--count` hosts several).
    public let index: Int
    /// The loop that owns the modem and all its channels.
    public let eventLoop: any EventLoop
    let logger: Logger

    private var configuration: EmulatorConfiguration
    private var modem: Modem
    private var inputs: [Input] = []
    /// What the core produced for the input being carried out; reused so that an input costs no
    /// action array, and its serial bytes go out in one write.
    private var output = ModemOutput()
    /// The serial bytes of the inputs being carried out, written together when they are done.
    private var serialOutput: [UInt8] = []
    private var processing = false
    private var sockets: [ConnectionID: LinkSocket] = [:]
    private var incoming: [UInt64: LinkSocket] = [:]
    private var nextToken: UInt64 = 1
    private var serverChannel: (any Channel)?
    private var serverGeneration = 0
    /// The timers the core started, by deadline. One scheduled task wakes the modem at the earliest,
    /// so that starting, restarting or cancelling a timer (a send timer each `AT+CIPSEND`, the escape
    /// guard each transparent-mode write) is a dictionary update, not a task scheduled and cancelled.
    private var deadlines: [ModemTimer: NIODeadline] = [:]
    private var wakeUp: (at: NIODeadline, task: Scheduled<Void>)?
    private var activation: Scheduled<Void>?
    private var bearerActivation: Scheduled<Void>?
    private let serial: SerialLine
    private var isShutDown = false
    /// The network every link's data crosses now (``LinkShaper`` reads it for each chunk).
    private(set) var networkProfile: NetworkProfile
    /// Latency jitter and UDP loss.
    var networkRandom: SeededRandom
    /// Command timing.
    private var timingRandom: SeededRandom
    /// Line noise.
    private var noiseRandom: SeededRandom
    /// The core stopped reading the serial line (``ModemAction/stopHostInput``).
    private var hostInputStopped = false
    /// Bytes read from the host that the core has not been given yet: input goes to the core in
    /// pieces of at most ``inputPiece`` bytes, and none while replies cannot be written, so that
    /// one large read cannot produce an unbounded burst of replies.
    private var hostInput: [UInt8] = []
    private var hostInputHead = 0
    private var feeding = false
    /// The most host bytes given to the core at once (the largest reply per input byte, a
    /// multi-mode `AT+CIPSTATUS`, is about 20 bytes: 4 KiB of input answer in under 100 KiB).
    static let inputPiece = 4096
    /// Whether the serial channel reads (its `autoRead`).
    private var serialReading = true
    private var scenario: ScenarioRunner? {
        // The core reports command lines only while a scenario may trigger on them.
        didSet { modem.reportsCommandLines = scenario != nil }
    }

    private enum Input {
        case serial([UInt8])
        case network(NetworkEvent)
        case timer(ModemTimer)
        case reset
    }

    /// A modem on `eventLoop`; it starts to act once a serial host is attached or a test drives it.
    public init(
        index: Int = 0, configuration: EmulatorConfiguration, eventLoop: any EventLoop, logger: Logger
    ) throws(EmulatorError) {
        self.index = index
        self.eventLoop = eventLoop
        self.configuration = configuration
        var core = configuration.modem
        if configuration.timing.connectRoundTrip {
            // PDP deactivation is one signalling round trip: its mean on the configured network.
            core.responseTimes.shut = configuration.network.delay.lowerBound + configuration.network.delay.upperBound
        }
        self.modem = Modem(configuration: core)
        self.networkProfile = configuration.network
        self.networkRandom = SeededRandom(seed: configuration.seed, stream: 1)
        self.timingRandom = SeededRandom(seed: configuration.seed, stream: 2)
        self.noiseRandom = SeededRandom(seed: configuration.seed, stream: 3)
        var logger = logger
        logger[metadataKey: "modem"] = "\(index)"
        self.logger = logger
        var trace: ByteTrace?
        if let path = configuration.tracePath { trace = try ByteTrace(path: path) }
        self.serial = SerialLine(
            eventLoop: eventLoop, baudRate: configuration.baudRate, limit: configuration.serialOutputLimit,
            trace: trace)
        serial.blockedChanged = { [unowned self] blocked in
            if blocked {
                self.logger.trace("serial output backed up: links and the host's input stop being read")
            }
            for socket in self.sockets.values { self.updateReading(socket) }
            self.updateSerialReading()
            if !blocked { self.feedHostInput() }
        }
    }

    // MARK: - Control API (any thread)

    /// Everything the host could observe, as `AT+CIPSTATUS` and the settings report it.
    public func snapshot() async throws -> ModemSnapshot {
        try await eventLoop.submit { self.modem.snapshot }.get()
    }

    /// The current faults.
    public func faults() async throws -> (failActivation: Bool, refuseConnects: Bool) {
        try await eventLoop.submit { (self.configuration.failActivation, self.configuration.refuseConnects) }.get()
    }

    /// The network releases the PDP context (`+PDP: DEACT`).
    public func deactivateContext() async throws {
        try await onLoop { $0.submit(.network(.contextDeactivated)) }
    }

    /// Makes the network refuse (or grant again) PDP context activations.
    public func setFailActivation(_ on: Bool) async throws {
        try await onLoop { $0.configuration.failActivation = on }
    }

    /// Makes the network refuse (or allow again) every new connection.
    public func setRefuseConnects(_ on: Bool) async throws {
        try await onLoop { $0.configuration.refuseConnects = on }
    }

    /// Closes the socket behind link `number` from the network side: the core sees the peer close.
    public func closeFromNetwork(link number: Int) async throws {
        try await eventLoop.submit {
            guard let id = self.modem.connection(onLink: number), let channel = self.sockets[id]?.channel else {
                throw EmulatorError.noSuchLink(number)
            }
            self.logger.info("closing link \(number) from the network side")
            channel.close(promise: nil)
        }.get()
    }

    /// Reboots the module: sockets close, settings return to power-on values, `RDY` … `SMS Ready`.
    public func reset() async throws {
        try await onLoop { $0.submit(.reset) }
    }

    /// Writes `count` random bytes of line noise to the host (the same bytes for the same `--seed`).
    public func injectNoise(count: Int) async throws {
        try await onLoop { $0.writeNoise(count: count) }
    }

    /// The network links meet now.
    public func network() async throws -> NetworkProfile {
        try await eventLoop.submit { self.networkProfile }.get()
    }

    /// Changes the network for every link, open ones included; data already in flight keeps its timing.
    public func setNetwork(_ profile: NetworkProfile) async throws {
        try await onLoop { modem in
            modem.logger.info("network: \(profile)")
            modem.networkProfile = profile
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
            self.scenario?.cancel()
            self.scenario = nil
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

    // MARK: - Serial line (event loop)

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
    private func feedHostInput() {
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
    private func updateSerialReading() {
        guard let channel = serial.channel else { return }
        let read = !serial.isBlocked && !hostInputStopped && hostInput.count - hostInputHead < Self.inputPiece
        guard read != serialReading else { return }
        serialReading = read
        channel.setOption(ChannelOptions.autoRead, value: read).whenFailure { _ in }
    }

    // MARK: - Inputs and actions

    private func submit(_ input: Input) {
        eventLoop.preconditionInEventLoop()
        guard !isShutDown else { return }
        inputs.append(input)
        guard !processing else { return }
        processing = true
        var next = 0
        while next < inputs.count {
            let input = inputs[next]
            next += 1
            output.removeAll()
            switch input {
            case .serial(let bytes): modem.serialReceived(bytes, into: &output)
            case .network(let event): modem.handle(event, into: &output)
            case .timer(let timer): modem.timerFired(timer, into: &output)
            case .reset: modem.reset(into: &output)
            }
            // The actions first (a `.send` before its `SEND OK`); the serial bytes of every input
            // carried out here (a send's data and the `SEND OK` its socket write brings) go out
            // together in one write and flush.
            for action in output.actions { execute(action) }
            serialOutput.append(contentsOf: output.serial)
        }
        serial.write(serialOutput)
        serialOutput.removeAll(keepingCapacity: serialOutput.count <= Self.inputPiece)
        inputs = []
        processing = false
        feedHostInput()
        if let scenario, scenario.watchesStates { scenario.states(stateWords()) }
    }

    /// The state words `AT+CIPSTATUS` would report: the modem's, and each link's in multi mode.
    private func stateWords() -> [String] {
        switch modem.status {
        case .single(let state): [state.rawValue]
        case .multi(let state, _, let links): [state.rawValue] + links.map(\.state.rawValue)
        }
    }

    private func execute(_ action: ModemAction) {
        switch action {
        case .activateContext(let apn, _, _):
            activation?.cancel()
            logger.debug("activating PDP context", metadata: ["apn": "\(apn)"])
            activation = eventLoop.scheduleTask(in: activationDelay().timeAmount) {
                self.activation = nil
                if self.configuration.failActivation {
                    self.logger.info("PDP context activation refused (fail-activation is on)")
                    self.submit(.network(.contextActivationFailed))
                } else {
                    self.submit(.network(.contextActivated(localAddress: self.configuration.localAddress)))
                }
            }
        case .deactivateContext:
            activation?.cancel()
            activation = nil
        case .activateBearer(let profile, let apn):
            logger.debug("opening bearer profile", metadata: ["profile": "\(profile)", "apn": "\(apn)"])
            bearerActivation = eventLoop.scheduleTask(in: activationDelay().timeAmount) {
                self.bearerActivation = nil
                if self.configuration.failActivation {
                    self.logger.info("bearer activation refused (fail-activation is on)")
                    self.submit(.network(.bearerActivationFailed(profile: profile)))
                } else {
                    self.submit(.network(.bearerActivated(profile: profile, localAddress: self.configuration.localAddress)))
                }
            }
        case .deactivateBearer:
            bearerActivation?.cancel()
            bearerActivation = nil
        case .ping(let query, let host, let count, let timeout):
            ping(query: query, host: host, count: count, timeout: timeout)
        case .commandLine(let line):
            scenario?.commandLine(line)
        case .connect(let id, let transport, let host, let port):
            connect(id, transport, host: host, port: port)
        case .send(let id, let bytes):
            guard let channel = sockets[id]?.channel else {
                logger.debug("data for a link without a socket dropped", metadata: ["connection": "\(id)"])
                return
            }
            if let scenario, scenario.watchesBytes, let number = linkNumber(of: id) {
                scenario.sent(link: number, count: bytes.count)
            }
            // The core counts the bytes against the link's send buffer until the socket (through
            // the shaper) has taken them.
            let count = bytes.count
            let written = eventLoop.makePromise(of: Void.self)
            written.futureResult.whenSuccess { self.submit(.network(.sent(id, count: count))) }
            channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: written)
        case .close(let id, let graceful):
            close(id, graceful: graceful)
        case .pauseReading(let id):
            guard let socket = sockets[id] else { return }
            socket.pausedByModem = true
            updateReading(socket)
        case .resumeReading(let id):
            guard let socket = sockets[id] else { return }
            socket.pausedByModem = false
            updateReading(socket)
        case .stopHostInput:
            hostInputStopped = true
            updateSerialReading()
        case .resumeHostInput:
            hostInputStopped = false
            updateSerialReading()
        case .listen(let port):
            listen(port: port)
        case .stopListening:
            serverGeneration += 1
            serverChannel?.close(promise: nil)
            serverChannel = nil
        case .accept(let token, let id):
            guard let socket = incoming.removeValue(forKey: token), socket.channel?.isActive == true else {
                submit(.network(.remoteClosed(id)))
                return
            }
            socket.id = id
            sockets[id] = socket
            updateReading(socket)
        case .reject(let token):
            logger.info("incoming connection refused: no free link")
            incoming.removeValue(forKey: token)?.channel?.close(promise: nil)
        case .resolve(let query, let host):
            lookUp(host).whenComplete { result in
                let addresses = (try? result.get()) ?? []
                self.submit(.network(.resolved(query: query, addresses: addresses)))
            }
        case .startTimer(let timer, let delay):
            let deadline = NIODeadline.now() + delay.timeAmount
            deadlines[timer] = deadline
            wake(at: deadline)
        case .cancelTimer(let timer):
            deadlines[timer] = nil
        }
    }

    /// Makes sure the modem wakes up by `deadline`.
    private func wake(at deadline: NIODeadline) {
        if let wakeUp, wakeUp.at <= deadline { return }
        wakeUp?.task.cancel()
        wakeUp = (deadline, eventLoop.scheduleTask(deadline: deadline) { self.timersDue() })
    }

    /// Fires every timer whose deadline has passed, earliest first, then sleeps until the next.
    private func timersDue() {
        wakeUp = nil
        let now = NIODeadline.now()
        let due = deadlines.filter { $0.value <= now }.sorted { $0.value < $1.value }
        for (timer, deadline) in due where deadlines[timer] == deadline {
            // A timer an earlier one cancelled or restarted is no longer due.
            deadlines[timer] = nil
            submit(.timer(timer))
        }
        if let next = deadlines.values.min() { wake(at: next) }
    }

    // MARK: - Links

    /// The kernel send buffer of a link's TCP socket. A module's TCP stack holds little; without a
    /// bound, Linux grows it to megabytes, and a peer that stops reading would take that much
    /// before `SEND OK` stops coming (and 10,000 modems would pin that much kernel memory).
    static let linkSocketSendBuffer: SocketOptionValue = 64 * 1024

    private func connect(_ id: ConnectionID, _ transport: TransportProtocol, host: String, port: Int) {
        let socket = LinkSocket(id: id, transport: transport)
        sockets[id] = socket
        let start: @Sendable () -> Void = {
            socket.pendingStart = nil
            guard self.sockets[id] === socket else { return }
            guard !self.configuration.refuseConnects else {
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
                guard self.configuration.allowList.allows(host: host, address: address) else {
                    self.logger.warning(
                        "connection to \(host):\(port) (\(address)) refused: not in the --allow list",
                        metadata: ["allow": "\(self.configuration.allowList.entries.map(\.description))"])
                    self.connectFailed(socket)
                    return
                }
                self.open(socket, address: address, host: host, port: port)
            }
        }
        var delay = configuration.connectDelay
        if configuration.timing.connectRoundTrip { delay += roundTrip() }
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
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers(
                            LinkShaper(streamOf: self, socket: socket), StreamLinkHandler(modem: self, socket: socket))
                    }
                }
                .connect(to: remote)
        case .udp:
            connection = DatagramBootstrap(group: eventLoop)
                .channelOption(.autoRead, value: false)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers(
                            LinkShaper(datagramsOf: self, socket: socket), DatagramLinkHandler(modem: self))
                    }
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

    private func connectFailed(_ socket: LinkSocket) {
        guard let id = socket.id, sockets[id] === socket else { return }
        sockets[id] = nil
        if configuration.timing.failAfterModuleTimeout {
            // A real module keeps trying until its own AT+CIPSTART timeout ends the attempt.
            logger.debug("connection failure left to the module's connect timeout", metadata: ["connection": "\(id)"])
            return
        }
        submit(.network(.connectFailed(id)))
    }

    private func close(_ id: ConnectionID, graceful: Bool) {
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
            socket.pendingStart = eventLoop.scheduleTask(in: configuration.udpCloseDelay.timeAmount) {
                guard self.sockets[id] === socket else { return }
                channel.close(promise: nil)
                self.submit(.network(.closed(id)))
            }
        }
    }

    /// Reading is on unless the core paused the link or the serial side is backed up; a link
    /// that is closing keeps reading so that the peer's FIN arrives (its data is discarded).
    private func updateReading(_ socket: LinkSocket) {
        guard let channel = socket.channel, socket.id != nil else { return }
        let read = socket.closingGracefully || (!socket.pausedByModem && !serial.isBlocked)
        guard read != socket.reading else { return }
        socket.reading = read
        channel.setOption(ChannelOptions.autoRead, value: read).whenFailure { _ in }
    }

    func linkReceived(_ socket: LinkSocket, _ bytes: [UInt8]) {
        guard let id = socket.id, sockets[id] === socket else { return }
        if let scenario, scenario.watchesBytes, let number = linkNumber(of: id) {
            scenario.received(link: number, count: bytes.count)
        }
        submit(.network(.received(id, bytes)))
    }

    private func linkNumber(of id: ConnectionID) -> Int? {
        (0..<Modem.linkCount).first { modem.connection(onLink: $0) == id }
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

    // MARK: - Server

    private func listen(port: Int) {
        serverGeneration += 1
        let generation = serverGeneration
        let host = configuration.serverBindHost
        ServerBootstrap(group: eventLoop, childGroup: eventLoop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.socketOption(.so_sndbuf), value: Self.linkSocketSendBuffer)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    let socket = LinkSocket(id: nil, transport: .tcp)
                    socket.channel = child
                    try child.pipeline.syncOperations.addHandlers(
                        LinkShaper(streamOf: self, socket: socket), StreamLinkHandler(modem: self, socket: socket))
                }
            }
            .bind(host: host, port: port)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    guard self.serverGeneration == generation, !self.isShutDown else {
                        channel.close(promise: nil)
                        return
                    }
                    self.serverChannel = channel
                    self.logger.info("AT+CIPSERVER listening on \(host):\(port)")
                    self.submit(.network(.listening(port: port)))
                case .failure(let error):
                    guard self.serverGeneration == generation else { return }
                    self.logger.warning("AT+CIPSERVER cannot listen on \(host):\(port): \(error)")
                    self.submit(.network(.listenFailed(port: port)))
                }
            }
    }

    /// A peer connected to the server socket; the core decides whether a link takes it.
    func incomingActive(_ socket: LinkSocket, remote: SocketAddress?) {
        let token = nextToken
        nextToken += 1
        incoming[token] = socket
        submit(
            .network(
                .incomingConnection(token: token, address: remote?.ipAddress ?? "0.0.0.0", port: remote?.port ?? 0)))
    }

    // MARK: - Names

    // MARK: - AT+CIPPING

    /// Round trips for `AT+CIPPING`, measured as the time a TCP connection attempt to port 7 (echo)
    /// of the resolved address takes to be answered, accepted or refused: the answer to a SYN is
    /// one network round trip, and it needs no raw-socket privileges as ICMP would.
    private func ping(query: UInt64, host: String, count: Int, timeout: Duration) {
        resolve(host).whenComplete { result in
            guard case .success(let addresses) = result, let address = addresses.first,
                let target = try? SocketAddress(ipAddress: address, port: 7)
            else {
                self.submit(.network(.pingCompleted(query: query, address: nil, roundTrips: [])))
                return
            }
            // A ping is an outbound connection like any link's: outside --allow, no packet leaves and
            // no reply comes.
            guard self.configuration.allowList.allows(host: host, address: address) else {
                self.logger.warning(
                    "AT+CIPPING to \(host) (\(address)) not sent: not in the --allow list",
                    metadata: ["allow": "\(self.configuration.allowList.entries.map(\.description))"])
                let none = [Duration?](repeating: nil, count: count)
                self.submit(.network(.pingCompleted(query: query, address: address, roundTrips: none)))
                return
            }
            self.pingAttempts(to: target, remaining: count, timeout: timeout, results: []) { roundTrips in
                self.submit(.network(.pingCompleted(query: query, address: address, roundTrips: roundTrips)))
            }
        }
    }

    private func pingAttempts(
        to target: SocketAddress, remaining: Int, timeout: Duration, results: [Duration?],
        done: @escaping @Sendable ([Duration?]) -> Void
    ) {
        guard remaining > 0, !isShutDown else {
            done(results)
            return
        }
        let start = NIODeadline.now()
        ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout.timeAmount)
            .connect(to: target)
            .whenComplete { result in
                var elapsed = Duration.nanoseconds((NIODeadline.now() - start).nanoseconds)
                if self.configuration.timing.connectRoundTrip { elapsed += self.roundTrip() }
                var reply: Duration?
                switch result {
                case .success(let channel):
                    channel.close(promise: nil)
                    reply = elapsed
                case .failure(let error):
                    if let error = error as? IOError, error.errnoCode == ECONNREFUSED { reply = elapsed }
                }
                self.pingAttempts(
                    to: target, remaining: remaining - 1, timeout: timeout, results: results + [reply], done: done)
            }
    }

    /// A name lookup as the network answers it: with realistic timing, a resolver's time and one
    /// round trip pass before the answer (an address needs no lookup).
    private func lookUp(_ host: String) -> EventLoopFuture<[String]> {
        let timing = configuration.timing
        guard IPv4.parse(host) == nil, timing.dns.upperBound > .zero || timing.connectRoundTrip else {
            return resolve(host)
        }
        let delay = timingRandom.duration(in: timing.dns) + (timing.connectRoundTrip ? roundTrip() : .zero)
        let answer = eventLoop.makePromise(of: [String].self)
        let lookup = resolve(host)
        eventLoop.scheduleTask(in: delay.timeAmount) { answer.completeWith(lookup) }
        return answer.futureResult
    }

    /// How long the network takes to activate a context now.
    private func activationDelay() -> Duration {
        guard let range = configuration.timing.activation else { return configuration.activationDelay }
        return timingRandom.duration(in: range)
    }

    /// One network round trip: a latency drawn each way from the current profile.
    private func roundTrip() -> Duration {
        timingRandom.duration(in: networkProfile.delay) + timingRandom.duration(in: networkProfile.delay)
    }

    // MARK: - Scenarios and faults

    private func startScenario(_ scenario: Scenario) {
        self.scenario?.cancel()
        if let seed = scenario.seed {
            networkRandom = SeededRandom(seed: seed, stream: 1)
            timingRandom = SeededRandom(seed: seed, stream: 2)
            noiseRandom = SeededRandom(seed: seed, stream: 3)
        }
        logger.info("scenario: \(scenario.events.count) events")
        self.scenario = ScenarioRunner(scenario, modem: self)
    }

    /// Carries out one scenario change.
    func apply(_ change: Scenario.Change, line: Int) {
        guard !isShutDown else { return }
        logger.info("scenario line \(line): \(change)")
        switch change {
        case .network(let settings):
            var profile = networkProfile
            for setting in settings { try? profile.apply(setting) }
            networkProfile = profile
        case .pdpDrop:
            submit(.network(.contextDeactivated))
        case .remoteClose(let number):
            guard let id = modem.connection(onLink: number), let channel = sockets[id]?.channel else {
                logger.info("scenario line \(line): link \(number) has no open socket to close")
                return
            }
            channel.close(promise: nil)
        case .refuseConnects(let on):
            configuration.refuseConnects = on
        case .failActivation(let on):
            configuration.failActivation = on
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

    /// Line noise goes only where there is room: on a line whose host does not read, it is lost
    /// (a full UART FIFO) rather than queued.
    private func writeNoise(count: Int) {
        guard !serial.isBlocked else {
            logger.debug("line noise dropped: the host is not reading")
            return
        }
        serial.write((0..<max(0, count)).map { _ in UInt8.random(in: 0...255, using: &noiseRandom) })
    }

    private func resolve(_ host: String) -> EventLoopFuture<[String]> {
        if IPv4.parse(host) != nil { return eventLoop.makeSucceededFuture([host]) }
        return NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) { HostResolver.ipv4Addresses(of: host) }
    }
}

/// The socket behind one link (or an incoming connection not yet given a link). Event loop only.
final class LinkSocket {
    /// `nil` until the core accepts an incoming connection.
    var id: ConnectionID?
    let transport: TransportProtocol
    var channel: (any Channel)?
    /// A delayed connect or UDP close.
    var pendingStart: Scheduled<Void>?
    var pausedByModem = false
    var reading = false
    var closingGracefully = false
    /// The close was reported to the core already.
    var peerClosed = false

    init(id: ConnectionID?, transport: TransportProtocol) {
        self.id = id
        self.transport = transport
    }
}

extension LinkSocket: @unchecked Sendable {}
