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
/// The runtime makes no protocol decision: replies and states all come from the core. Nor does it
/// decide what the network does: it asks its network simulation (delays, faults, destinations, the
/// scenario's changes that are due) and carries out the answers.
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

    let configuration: EmulatorConfiguration
    /// The network the module sees; every link's ``LinkShaper`` reads it too.
    let simulation: NetworkSimulation
    var modem: Modem
    private var inputs: [Input] = []
    /// What the core produced for the input being carried out; reused so that an input costs no
    /// action array, and its serial bytes go out in one write.
    private var output = ModemOutput()
    /// The serial bytes of the inputs being carried out, written together when they are done.
    private var serialOutput: [UInt8] = []
    var processing = false
    /// The timers the core started, by deadline. One scheduled task wakes the modem at the earliest,
    /// so that starting, restarting or cancelling a timer (a send timer each `AT+CIPSEND`, the escape
    /// guard each transparent-mode write) is a dictionary update, not a task scheduled and cancelled.
    var deadlines: [ModemTimer: NIODeadline] = [:]
    var wakeUp: (at: NIODeadline, task: Scheduled<Void>)?
    var activation: Scheduled<Void>?
    private var bearerActivation: Scheduled<Void>?
    var isShutDown = false

    // Serial line
    let serial: SerialLine
    /// The core stopped reading the serial line (``ModemAction/stopHostInput``).
    var hostInputStopped = false
    /// Bytes read from the host that the core has not been given yet: input goes to the core in
    /// pieces of at most ``inputPiece`` bytes, and none while replies cannot be written, so that
    /// one large read cannot produce an unbounded burst of replies.
    var hostInput: [UInt8] = []
    var hostInputHead = 0
    var feeding = false
    /// The most host bytes given to the core at once (the largest reply per input byte, a
    /// multi-mode `AT+CIPSTATUS`, is about 20 bytes: 4 KiB of input answer in under 100 KiB).
    static let inputPiece = 4096
    /// Whether the serial channel reads (its `autoRead`).
    var serialReading = true

    // Links and the server
    var sockets: [ConnectionID: LinkSocket] = [:]
    var incoming: [UInt64: LinkSocket] = [:]
    var nextToken: UInt64 = 1
    var serverChannel: (any Channel)?
    var serverGeneration = 0

    // Scenario
    var scenario: ScenarioRunner? {
        // The core reports command lines only while a scenario may trigger on them.
        didSet { modem.reportsCommandLines = scenario != nil }
    }
    /// The task that wakes the modem when the scenario's next change is due.
    var scenarioWakeUp: (at: NIODeadline, task: Scheduled<Void>)?

    enum Input {
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
        let simulation = NetworkSimulation(configuration: configuration)
        self.simulation = simulation
        self.modem = Modem(configuration: simulation.coreConfiguration(configuration.modem))
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

    // MARK: - Inputs and actions

    func submit(_ input: Input) {
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
            case .reset:
                serial.write(serialOutput)
                serialOutput.removeAll(keepingCapacity: true)
                for action in modem.reset() { execute(action) }
                continue
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
        if scenario?.watchesStates == true { tellScenario { $0.states(stateWords(), at: $1) } }
    }

    private func execute(_ action: ModemAction) {
        switch action {
        case .write(let bytes):
            serial.write(bytes)
        case .activateContext(let apn, _, _):
            activation?.cancel()
            logger.debug("activating PDP context", metadata: ["apn": "\(apn)"])
            activation = activate(
                "PDP context", granted: { .contextActivated(localAddress: $0) }, refused: .contextActivationFailed
            ) { $0.activation = nil }
        case .deactivateContext:
            activation?.cancel()
            activation = nil
        case .activateBearer(let profile, let apn):
            logger.debug("opening bearer profile", metadata: ["profile": "\(profile)", "apn": "\(apn)"])
            bearerActivation = activate(
                "bearer", granted: { .bearerActivated(profile: profile, localAddress: $0) },
                refused: .bearerActivationFailed(profile: profile)
            ) { $0.bearerActivation = nil }
        case .deactivateBearer:
            bearerActivation?.cancel()
            bearerActivation = nil
        case .ping(let query, let host, let count, let timeout):
            ping(query: query, host: host, count: count, timeout: timeout)
        case .commandLine(let line):
            tellScenario { $0.commandLine(line, at: $1) }
        case .connect(let id, let transport, let host, let port):
            connect(id, transport, host: host, port: port)
        case .send(let id, let bytes):
            send(bytes, on: id)
        case .close(let id, let graceful):
            close(id, graceful: graceful)
        case .pauseReading(let id):
            setPaused(true, id)
        case .resumeReading(let id):
            setPaused(false, id)
        case .stopHostInput:
            hostInputStopped = true
            updateSerialReading()
        case .resumeHostInput:
            hostInputStopped = false
            updateSerialReading()
        case .listen(let port):
            listen(port: port)
        case .stopListening:
            stopListening()
        case .accept(let token, let id):
            accept(token, as: id)
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

    /// Asks the network to activate a PDP context or bearer (`what`, for the log) and schedules its
    /// answer; the network decides only when the activation's delay has passed.
    private func activate(
        _ what: String, granted: @escaping @Sendable (String) -> NetworkEvent, refused: NetworkEvent,
        done: @escaping @Sendable (VirtualModem) -> Void
    ) -> Scheduled<Void> {
        eventLoop.scheduleTask(in: simulation.activationDelay().timeAmount) {
            done(self)
            switch self.simulation.activationOutcome() {
            case .refused:
                self.logger.info("\(what) activation refused (fail-activation is on)")
                self.submit(.network(refused))
            case .granted(let localAddress):
                self.submit(.network(granted(localAddress)))
            }
        }
    }

    // MARK: - Timers

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
}

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
}

/// The `AT+CIPSERVER` socket: listening, and handing each incoming connection to the core, which
/// decides whether a link takes it. Event loop only.
extension VirtualModem {
    func listen(port: Int) {
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
                    try self.addStreamHandlers(to: child, socket: socket)
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

    func stopListening() {
        serverGeneration += 1
        serverChannel?.close(promise: nil)
        serverChannel = nil
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

    /// The core gave the incoming connection `token` the link `id`.
    func accept(_ token: UInt64, as id: ConnectionID) {
        guard let socket = incoming.removeValue(forKey: token), socket.channel?.isActive == true else {
            submit(.network(.remoteClosed(id)))
            return
        }
        socket.id = id
        sockets[id] = socket
        updateReading(socket)
    }
}

/// Name lookups (`AT+CDNSGIP`, `AT+CIPSTART` with a name) and `AT+CIPPING`, timed as the network
/// answers them. Event loop only.
extension VirtualModem {
    /// Round trips for `AT+CIPPING`, measured as the time a TCP connection attempt to port 7 (echo)
    /// of the resolved address takes to be answered, accepted or refused: the answer to a SYN is
    /// one network round trip, and it needs no raw-socket privileges as ICMP would.
    func ping(query: UInt64, host: String, count: Int, timeout: Duration) {
        resolve(host).whenComplete { result in
            guard case .success(let addresses) = result, let address = addresses.first,
                let target = try? SocketAddress(ipAddress: address, port: 7)
            else {
                self.submit(.network(.pingCompleted(query: query, address: nil, roundTrips: [])))
                return
            }
            // A ping is an outbound connection like any link's: outside --allow, no packet leaves and
            // no reply comes.
            guard self.simulation.allows(host: host, address: address) else {
                self.logAllowListRefusal("AT+CIPPING to \(host) (\(address)) not sent")
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
                let elapsed = self.simulation.pingRoundTrip(
                    measured: .nanoseconds((NIODeadline.now() - start).nanoseconds))
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

    /// A name lookup as the network answers it: the resolver's answer, given after the network's
    /// lookup time (an address needs no lookup).
    func lookUp(_ host: String) -> EventLoopFuture<[String]> {
        guard let delay = simulation.lookupDelay(of: host) else { return resolve(host) }
        let answer = eventLoop.makePromise(of: [String].self)
        let lookup = resolve(host)
        eventLoop.scheduleTask(in: delay.timeAmount) { answer.completeWith(lookup) }
        return answer.futureResult
    }

    private func resolve(_ host: String) -> EventLoopFuture<[String]> {
        if IPv4.parse(host) != nil { return eventLoop.makeSucceededFuture([host]) }
        return NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) { HostResolver.ipv4Addresses(of: host) }
    }
}

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
        switch modem.status {
        case .single(let state): [state.rawValue]
        case .multi(let state, _, let links): [state.rawValue] + links.map(\.state.rawValue)
        }
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
