import Logging
import ModemCore
import ModemProtocol
import NIOCore

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
    /// What the live view (`--http`) sees of this modem; `nil` without one, which costs nothing.
    public let live: LiveFeed?
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

    // Serial line (VirtualModem+Serial.swift)
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

    // Links and the server (VirtualModem+Links.swift, VirtualModem+Server.swift)
    var sockets: [ConnectionID: LinkSocket] = [:]
    var incoming: [UInt64: LinkSocket] = [:]
    var nextToken: UInt64 = 1
    var serverChannel: (any Channel)?
    var serverGeneration = 0

    // Scenario (VirtualModem+Scenario.swift)
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
    /// `live` receives its decoded conversation, state changes and counters (the live view).
    public init(
        index: Int = 0, configuration: EmulatorConfiguration, eventLoop: any EventLoop, logger: Logger,
        live: LiveFeed? = nil
    ) throws(EmulatorError) {
        self.index = index
        self.live = live
        self.eventLoop = eventLoop
        self.configuration = configuration
        let simulation = NetworkSimulation(configuration: configuration)
        self.simulation = simulation
        self.modem = Modem(configuration: simulation.coreConfiguration(configuration.modem))
        modem.networkClock = { NetworkTime.now() }
        var logger = logger
        logger[metadataKey: "modem"] = "\(index)"
        self.logger = logger
        // The trace file, and at debug level the same decoded conversation in the log.
        var trace: TraceWriter?
        let debug = logger.logLevel <= .debug
        if configuration.tracePath != nil || debug || live != nil {
            let log = logger
            do {
                let observer: ((TraceRecord) -> Void)? =
                    switch (debug, live) {
                    case (true, let live?): { record in log.debug("\(TraceText(record))"); live.record(record) }
                    case (true, nil): { log.debug("\(TraceText($0))") }
                    case (false, let live?): { live.record($0) }
                    case (false, nil): nil
                    }
                trace = try TraceWriter(path: configuration.tracePath, observer: observer)
            } catch {
                throw .cannotOpen(error.path, errno: error.errno)
            }
        }
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
            case .network(let event):
                if let trace = serial.trace, let text = Self.traceText(event) { trace.event(text) }
                if let live, case .received(_, let bytes) = event { live.networkBytes(down: bytes.count) }
                modem.handle(event, into: &output)
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
        if scenario?.watchesStates == true { tellScenario { $0.states(stateWords(), at: $1) } }
        live?.statusAfterStep(modem.status)
    }

    private func execute(_ action: ModemAction) {
        if let trace = serial.trace, let text = Self.traceText(action) { trace.event(text) }
        switch action {
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
            live?.networkBytes(up: bytes.count)
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
