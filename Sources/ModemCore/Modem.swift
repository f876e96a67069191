import DequeModule
import ModemProtocol

/// A SIM800-class module's AT interface and TCP/IP application as a pure state machine.
///
/// Inputs are bytes from the host (``serialReceived(_:)``), network events (``handle(_:)``) and
/// timer firings (``timerFired(_:)``); each returns the ``ModemAction``s to carry out, in order.
/// The machine has no sockets, clocks or threads: a runtime (the emulator, or a test) executes
/// the actions and feeds the results back.
public struct Modem: Sendable {
    /// Settings that AT commands cannot change.
    public let configuration: ModemConfiguration

    var reader: SerialLineReader
    var settings: Settings
    var context = PacketContext()
    var radio: RadioState
    var links: [Link?] = Array(repeating: nil, count: Modem.linkCount)
    var server: Server?
    var nextConnection: UInt64 = 1
    var nextQuery: UInt64 = 1
    var dnsQueries: [UInt64: String] = [:]

    var activity: Activity = .idle
    /// Commands of the current line still to run after a command that waits.
    var remainingCommands: ArraySlice<ATCommand> = []
    /// Host bytes that arrived while a command was in progress.
    var pendingInput = Deque<UInt8>()
    /// URCs and received data held back while a command is in progress.
    var heldOutput: [UInt8] = []
    /// Links whose reading was paused because ``heldOutput`` is full.
    var pausedForHeldOutput: Set<ConnectionID> = []
    var outbox = Outbox()
    /// A command line is being executed: URCs wait until its final result code is out.
    var executingCommands = false
    /// The commands of the line being parsed, kept to reuse its storage.
    var commandScratch: [ATCommand] = []
    /// `AT+SAPBR` bearer profiles that have been configured or opened.
    var bearers: [Int: BearerProfile] = [:]
    /// The TTL `AT+CIPPING` reports for a reply.
    var pingTTL = 64
    /// Transparent mode's escape detection.
    var escape = EscapeState.busy
    /// The last byte echoed was a CR (its LF is not echoed).
    var echoedCR = false
    /// A LF right after the CR of `ATO` or `AT+CIPSTART` is not data.
    var skipLineFeedInDataMode = false
    /// The modem asked the runtime to stop reading the serial line (``ModemAction/stopHostInput``).
    var hostInputStopped = false

    /// Whether each command line the host sends is also reported as ``ModemAction/commandLine(_:)``,
    /// for a runtime that triggers on commands (scenario files). Off by default: it costs a string
    /// per line.
    public var reportsCommandLines = false

    /// Number of links in multi-connection mode (SIM800: 0–5).
    public static let linkCount = 6

    /// A powered-on module in `IP INITIAL`.
    public init(configuration: ModemConfiguration = ModemConfiguration()) {
        self.configuration = configuration
        self.reader = SerialLineReader(maximumLineLength: configuration.maximumLineLength)
        self.settings = Settings(echo: configuration.echo)
        self.radio = RadioState(signalQuality: configuration.identity.signalQuality)
    }

    // MARK: - Inputs

    /// Bytes the host wrote to the serial line.
    public mutating func serialReceived(_ bytes: some Collection<UInt8>) -> [ModemAction] {
        if activity.isWaiting {
            queueInput(bytes)
        } else {
            var input = ArraySlice(bytes)
            process(&input)
        }
        return finish()
    }

    /// ``serialReceived(_:)`` appending to a caller's buffers: bytes for the serial line go to
    /// `output.serial`, every other action to `output.actions`. With the buffers reused across
    /// calls, answering a command such as `AT+CIPSTATUS` allocates nothing.
    public mutating func serialReceived(_ bytes: [UInt8], into output: inout ModemOutput) {
        begin(&output)
        if activity.isWaiting {
            queueInput(bytes)
        } else {
            var input = bytes[...]
            process(&input)
        }
        end(&output)
    }

    /// ``handle(_:)`` appending to a caller's buffers, as ``serialReceived(_:into:)`` does.
    public mutating func handle(_ event: NetworkEvent, into output: inout ModemOutput) {
        begin(&output)
        networkEvent(event)
        end(&output)
    }

    /// ``timerFired(_:)`` appending to a caller's buffers, as ``serialReceived(_:into:)`` does.
    public mutating func timerFired(_ timer: ModemTimer, into output: inout ModemOutput) {
        begin(&output)
        timerEvent(timer)
        end(&output)
    }

    private mutating func begin(_ output: inout ModemOutput) {
        swap(&outbox.bytes, &output.serial)
        swap(&outbox.actions, &output.actions)
        outbox.separateSerial = true
    }

    private mutating func end(_ output: inout ModemOutput) {
        settle()
        outbox.separateSerial = false
        swap(&outbox.bytes, &output.serial)
        swap(&outbox.actions, &output.actions)
    }

    /// Something the network did.
    public mutating func handle(_ event: NetworkEvent) -> [ModemAction] {
        networkEvent(event)
        return finish()
    }

    /// A timer started with ``ModemAction/startTimer(_:after:)`` fired.
    public mutating func timerFired(_ timer: ModemTimer) -> [ModemAction] {
        timerEvent(timer)
        return finish()
    }

    /// Reboots the module (`AT+CFUN=1,1`, or power cycled): every connection is dropped, every
    /// setting returns to its power-on value and the module announces itself with `RDY`,
    /// `+CFUN: 1`, `+CPIN: READY`, `Call Ready`, `SMS Ready` (SIM800 manual §3.2.29, with a fixed baud rate).
    public mutating func reset() -> [ModemAction] {
        performReset()
        return finish()
    }

    /// The reboot itself, inside whatever input caused it (`AT+CFUN=1,1`, the control interface).
    mutating func performReset() {
        dropEverything()
        settings = Settings(echo: configuration.echo)
        reader = SerialLineReader(maximumLineLength: configuration.maximumLineLength)
        activity = .idle
        remainingCommands = []
        pendingInput.removeAll()
        heldOutput.removeAll()
        skipLineFeedInDataMode = false
        pausedForHeldOutput.removeAll()
        radio = RadioState(signalQuality: configuration.identity.signalQuality)
        for profile in bearers.keys.sorted() where bearers[profile]?.status == .connected {
            act(.deactivateBearer(profile: profile))
        }
        bearers = [:]
        for urc in ["RDY", "+CFUN: 1", "+CPIN: READY", "Call Ready", "SMS Ready"] { emitURC(urc) }
    }

    // MARK: - Observing

    /// What `AT+CIPSTATUS` reports now.
    public var status: ConnectionStatus {
        if settings.multiConnection {
            return .multi(multiState, server: serverStatus, links: (0..<Self.linkCount).map(linkStatus))
        }
        return .single(singleState)
    }

    /// Everything a host can observe of the modem's state, for comparisons in tests and for the
    /// emulator's control interface.
    public var snapshot: ModemSnapshot {
        ModemSnapshot(
            status: status,
            localAddress: context.localAddress,
            apn: context.apn,
            settings: settings,
            radio: radio,
            unreadBytes: links.map { $0?.unread.count ?? 0 },
            bearers: bearers,
            isBusy: activity.isWaiting
        )
    }

    /// The connection behind a link, if one is open or being opened.
    public func connection(onLink number: Int) -> ConnectionID? {
        guard links.indices.contains(number), let link = links[number], link.phase.isActive else { return nil }
        return link.id
    }

    // MARK: - Output

    /// Appends an information line of the current command's reply.
    mutating func info(_ text: String) {
        settings.formatter.appendLine(text, to: &outbox.bytes)
    }

    /// Sends an unsolicited result code now, or after the command in progress completes.
    mutating func emitURC(_ text: String) {
        if activity.isIdle, !executingCommands {
            settings.formatter.appendLine(text, to: &outbox.bytes)
        } else {
            settings.formatter.appendLine(text, to: &heldOutput)
        }
    }

    /// Sends unsolicited raw bytes (received data) now or after the command in progress. A link
    /// that fills the held output is paused until it is flushed, except while a send waits on the
    /// network: the network may be waiting on a peer that waits for the modem to read it, so the
    /// held output goes to the host then, ahead of the send's result, rather than stop the link.
    mutating func emitUnsolicitedBytes(_ bytes: some Collection<UInt8>, from connection: ConnectionID) {
        if activity.isIdle, !executingCommands {
            outbox.bytes.append(contentsOf: bytes)
            return
        }
        heldOutput.append(contentsOf: bytes)
        guard heldOutput.count >= configuration.heldOutputLimit else { return }
        if activity.waitsOnNetworkForSend, !executingCommands {
            flushHeldOutput()
        } else if !pausedForHeldOutput.contains(connection) {
            pausedForHeldOutput.insert(connection)
            act(.pauseReading(connection))
        }
    }

    /// Queues an action after the bytes written so far.
    mutating func act(_ action: ModemAction) {
        outbox.flushBytes()
        outbox.actions.append(action)
    }

    mutating func newConnectionID() -> ConnectionID {
        defer { nextConnection += 1 }
        return ConnectionID(rawValue: nextConnection)
    }

    private mutating func finish() -> [ModemAction] {
        settle()
        return outbox.take()
    }

    /// What every input ends with: queued host input runs if the modem is free, held output goes
    /// out if nothing holds it, and the serial line's flow control follows the send buffer.
    private mutating func settle() {
        // A send whose link went away by any path (PDP deactivation, a reset) has failed.
        switch activity {
        case .awaitingSent(let number, let connection, _), .awaitingSendRoom(let number, let connection, _):
            if links[number]?.id != connection || links[number]?.phase != .connected {
                sendFailed(on: connection, timedOut: false)
            }
        default:
            break
        }
        // A send that waits on the network must not wait on a link the held output paused.
        if activity.isIdle || (activity.waitsOnNetworkForSend && !pausedForHeldOutput.isEmpty) { flushHeldOutput() }
        resumeInput()
        if activity.isIdle { flushHeldOutput() }
        updateHostInputFlow()
    }

    mutating func flushHeldOutput() {
        if !heldOutput.isEmpty {
            outbox.bytes.append(contentsOf: heldOutput)
            heldOutput.removeAll(keepingCapacity: true)
        }
        for connection in pausedForHeldOutput.sorted() where !isPausedByBuffer(connection) {
            act(.resumeReading(connection))
        }
        pausedForHeldOutput.removeAll()
    }

    private func isPausedByBuffer(_ connection: ConnectionID) -> Bool {
        links.contains { $0?.id == connection && $0?.readingPaused == true }
    }

    mutating func queueInput(_ bytes: some Collection<UInt8>) {
        let room = max(0, configuration.pendingInputLimit - pendingInput.count)
        pendingInput.append(contentsOf: bytes.prefix(room))
    }

    // MARK: - Serial input

    mutating func process(_ input: inout ArraySlice<UInt8>) {
        while !input.isEmpty {
            if activity.isWaiting {
                queueInput(input)
                input = []
                return
            }
            if activity == .dataMode {
                dataModeInput(&input)
                continue
            }
            let phase = reader.phase
            let before = input
            let frame = reader.nextFrame(&input)
            echo(before[before.startIndex..<input.startIndex], phase: phase)
            guard let frame else { return }
            frameReceived(frame)
        }
    }

    private mutating func echo(_ consumed: ArraySlice<UInt8>, phase: SerialLineReader.Phase) {
        guard settings.echo, !consumed.isEmpty else { return }
        switch phase {
        case .command, .dataUntilCtrlZ:
            // The command line is echoed as typed. Ctrl-Z and ESC are not printable and not echoed,
            // and neither is the LF of a CRLF line end: it would land after the reply.
            for byte in consumed {
                defer { echoedCR = byte == SerialLineReader.carriageReturn }
                if byte == SerialLineReader.ctrlZ || byte == SerialLineReader.escape { continue }
                if byte == SerialLineReader.lineFeed, echoedCR { continue }
                outbox.bytes.append(byte)
            }
        case .dataFixed:
            break
        }
    }

    private mutating func frameReceived(_ frame: SerialLineReader.Frame) {
        switch frame {
        case .line:
            if reportsCommandLines {
                act(.commandLine(reader.withFrameBytes { String(decoding: $0, as: UTF8.self) }))
            }
            // Parse in place into a reused array: no allocation on the steady-state path.
            var commands = commandScratch
            commandScratch = []
            commands.removeAll(keepingCapacity: true)
            let parsed = reader.withFrameBytes { bytes in
                Result { () throws(ATSyntaxError) in try ATCommandParser.parse(bytes, into: &commands) }
            }
            if case .success = parsed {
                run(commands[...])
                if activity.isIdle { flushHeldOutput() }
            } else {
                fail(nil)
            }
            commandScratch = commands
        case .lineTooLong:
            fail(nil)
        case .data:
            dataReceived(reader.frameBytes)
        case .dataCancelled:
            sendCancelled()
        }
    }

    /// Runs the commands of one line (ITU-T V.250 §5.2.1): information text of each, one final
    /// result code at the end; the first failing command ends the line with its error.
    mutating func run(_ commands: ArraySlice<ATCommand>) {
        executingCommands = true
        defer { executingCommands = false }
        var rest = commands
        if rest.isEmpty {
            settings.formatter.appendResult(.ok, to: &outbox.bytes)
            return
        }
        while let command = rest.popFirst() {
            switch execute(command) {
            case .ok:
                if rest.isEmpty { settings.formatter.appendResult(.ok, to: &outbox.bytes) }
            case .final(let text):
                info(text)
            case .noResult:
                continue
            case .error(let error):
                fail(error)
                return
            case .waiting:
                remainingCommands = rest
                return
            }
        }
    }

    /// Ends the current command with `ERROR` or `+CME ERROR`.
    mutating func fail(_ error: MobileEquipmentError?) {
        settings.formatter.appendError(error, to: &outbox.bytes)
    }

    /// The command that was waiting finished with `outcome`; runs the rest of its line, then the
    /// input that arrived meanwhile.
    mutating func complete(with outcome: CommandOutcome) {
        activity = .idle
        executingCommands = true
        defer { executingCommands = false }
        switch outcome {
        case .ok:
            if remainingCommands.isEmpty { settings.formatter.appendResult(.ok, to: &outbox.bytes) }
        case .final(let text):
            info(text)
        case .noResult, .waiting:
            break
        case .error(let error):
            remainingCommands = []
            fail(error)
        }
        let rest = remainingCommands
        remainingCommands = []
        if !rest.isEmpty { run(rest) }
    }

    /// Processes host input queued while a command was in progress.
    mutating func resumeInput() {
        while activity.isIdle, !pendingInput.isEmpty {
            var input = ArraySlice(pendingInput)
            pendingInput.removeAll()
            process(&input)
            if !input.isEmpty { pendingInput.prepend(contentsOf: input) }
        }
    }

    /// Closes every connection and the server, and forgets the PDP context (CIPSHUT, reset).
    mutating func dropEverything() {
        for index in links.indices {
            if let link = links[index] {
                if link.phase.isActive { act(.close(link.id, graceful: false)) }
                cancelTimers(of: link)
            }
            links[index] = nil
        }
        if server != nil {
            act(.stopListening)
            server = nil
        }
        if context.isActiveOrActivating { act(.deactivateContext) }
        if context.stage == .activating { act(.cancelTimer(.activation)) }
        context = PacketContext(attached: context.attached)
        for query in dnsQueries.keys.sorted() { act(.cancelTimer(.dnsQuery(query))) }
        dnsQueries.removeAll()
    }

    /// Cancels the timer a link's phase has running, if any.
    mutating func cancelTimers(of link: Link) {
        switch link.phase {
        case .connecting: act(.cancelTimer(.connect(link.id)))
        case .closing: act(.cancelTimer(.close(link.id)))
        default: break
        }
    }
}

/// What a command did.
enum CommandOutcome: Equatable {
    /// Succeeded; `OK` follows unless more commands of the line follow.
    case ok
    /// Succeeded with its own final text instead of `OK` (`SHUT OK`, `0, CLOSE OK`).
    case final(String)
    /// Succeeded with no final result code (`AT+CIFSR`).
    case noResult
    /// Failed: `ERROR`, or `+CME ERROR: <error>` under `AT+CMEE`.
    case error(MobileEquipmentError?)
    /// Waits for the network, a timer or data; the modem takes no other command meanwhile.
    case waiting
}

/// What the command interpreter is doing.
enum Activity: Equatable, Sendable {
    case idle
    /// `AT+CIICR` waits for the network.
    case activatingContext
    /// `AT+SAPBR=1,<cid>` waits for the network.
    case openingBearer(profile: Int)
    /// `AT+CIPPING` waits for its round trips.
    case pinging(query: UInt64)
    /// `AT+CIPSEND` waits for its data.
    case sending(link: Int)
    /// `AT+CIPSEND`'s data waits for room in the link's send buffer (``ModemConfiguration/sendBufferLimit``).
    case awaitingSendRoom(link: Int, connection: ConnectionID, data: [UInt8])
    /// `AT+CIPSEND`'s data is in the send buffer: `SEND OK` once the network has taken every byte
    /// up to `through` (the link's ``Link/queuedTotal`` after it).
    case awaitingSent(link: Int, connection: ConnectionID, through: UInt64)
    /// Transparent mode: host bytes go to link 0.
    case dataMode
    /// A command's work is done; its final text follows when ``ModemTimer/response`` fires.
    case awaitingResponse(String)

    var isIdle: Bool { self == .idle }
    /// Whether host input is queued rather than read (the data phases read it).
    var isWaiting: Bool {
        switch self {
        case .activatingContext, .openingBearer, .pinging, .awaitingResponse, .awaitingSendRoom, .awaitingSent: true
        case .idle, .sending, .dataMode: false
        }
    }
    /// Whether a send waits on the network to take data (whose progress may depend on the host
    /// reading what the modem holds for it).
    var waitsOnNetworkForSend: Bool {
        switch self {
        case .awaitingSendRoom, .awaitingSent: true
        case .idle, .activatingContext, .openingBearer, .pinging, .awaitingResponse, .sending, .dataMode: false
        }
    }
}

/// A listening `AT+CIPSERVER`.
struct Server: Equatable, Sendable {
    let port: Int
    let bearer: Int
    var listening: Bool
}

/// What the modem produced for a runtime that reuses its buffers (``Modem/serialReceived(_:into:)``).
public struct ModemOutput: Sendable {
    /// Bytes to write to the serial line, in order.
    public var serial: [UInt8] = []
    /// Every other action, in order. Never contains ``ModemAction/write(_:)``.
    public var actions: [ModemAction] = []

    public init() {}

    /// Empties both buffers, keeping their storage.
    public mutating func removeAll() {
        serial.removeAll(keepingCapacity: true)
        actions.removeAll(keepingCapacity: true)
    }
}

/// Bytes and actions produced by one input.
struct Outbox: Sendable {
    var bytes: [UInt8] = []
    var actions: [ModemAction] = []
    /// Serial bytes stay in ``bytes`` instead of becoming `.write` actions.
    var separateSerial = false

    mutating func flushBytes() {
        guard !separateSerial, !bytes.isEmpty else { return }
        actions.append(.write(bytes))
        bytes.removeAll(keepingCapacity: true)
    }

    mutating func take() -> [ModemAction] {
        flushBytes()
        defer { actions.removeAll(keepingCapacity: true) }
        return actions
    }
}
