import DequeModule
import ModemProtocol

/// The module's AT command interpreter: the line in progress, what it is doing (idle, waiting on
/// a command, in a data phase), host input queued meanwhile, unsolicited output held back meanwhile,
/// echo and the serial line's flow control.
///
/// It decides where output goes (now, or after the command in progress) and when input is read;
/// the modem runs the commands it frames.
struct CommandInterpreter: Sendable {
    private(set) var reader: SerialLineReader
    private(set) var activity: Activity = .idle
    /// Commands of the current line still to run after a command that waits.
    private var remainingCommands: ArraySlice<ATCommand> = []
    /// Host bytes that arrived while a command was in progress.
    private var pendingInput = Deque<UInt8>()
    /// URCs and received data held back while a command is in progress.
    private var heldOutput: [UInt8] = []
    /// Links whose reading was paused because ``heldOutput`` is full.
    private(set) var pausedForHeldOutput: Set<ConnectionID> = []
    /// A command line is being executed: URCs wait until its final result code is out.
    private(set) var executingCommands = false
    /// The commands of the line being parsed, kept to reuse its storage.
    private var commandScratch: [ATCommand] = []
    /// The last byte echoed was a CR (its LF is not echoed).
    private var echoedCR = false
    /// Transparent mode's `+++` detection.
    private(set) var escape = EscapeDetector()
    /// The modem asked the runtime to stop reading the serial line (``ModemAction/stopHostInput``).
    private var hostInputStopped = false
    private let pendingInputLimit: Int
    private let heldOutputLimit: Int

    init(configuration: ModemConfiguration) {
        reader = SerialLineReader(maximumLineLength: configuration.maximumLineLength)
        pendingInputLimit = configuration.pendingInputLimit
        heldOutputLimit = configuration.heldOutputLimit
    }

    /// Whether unsolicited output goes to the host now.
    var isFree: Bool { activity.isIdle && !executingCommands }

    // MARK: Commands

    /// A command line starts (or resumes) executing: output waits for its final result.
    mutating func beginLine() { executingCommands = true }

    /// The line's final result is out.
    mutating func endLine() { executingCommands = false }

    /// A command waits (``CommandOutcome/waiting``), or goes on waiting for something else (its
    /// data came, it waits for room).
    mutating func wait(_ activity: Activity) {
        self.activity = activity
    }

    /// The commands of the line after the one that waits: they run once it completes.
    mutating func postpone(_ remaining: ArraySlice<ATCommand>) {
        remainingCommands = remaining
    }

    /// The command line that waited runs on: returns the rest of its commands. The interpreter
    /// is executing until ``endLine()``.
    mutating func finishWaiting() -> ArraySlice<ATCommand> {
        activity = .idle
        executingCommands = true
        defer { remainingCommands = [] }
        return remainingCommands
    }

    /// Transparent mode's data phase begins.
    mutating func enterDataMode() {
        activity = .dataMode
        escape.start()
    }

    /// Back to command mode; `false` when not in data mode.
    mutating func leaveDataMode() -> Bool {
        guard activity == .dataMode else { return false }
        escape.stop()
        activity = .idle
        return true
    }

    /// Host bytes in data mode: the link's share of them.
    mutating func dataModeBytes(_ input: ArraySlice<UInt8>) -> [UInt8] {
        escape.filter(input)
    }

    /// Transparent mode's guard time passed.
    mutating func escapeGuardElapsed() -> EscapeDetector.GuardOutcome {
        escape.guardElapsed()
    }

    /// A reboot: the line in progress, queued input and held output are gone.
    mutating func reset(maximumLineLength: Int) {
        reader = SerialLineReader(maximumLineLength: maximumLineLength)
        activity = .idle
        remainingCommands = []
        pendingInput.removeAll()
        heldOutput.removeAll()
        escape = EscapeDetector()
        pausedForHeldOutput.removeAll()
    }

    // MARK: Input

    /// Queues host bytes that arrive while a command is in progress, up to the UART's limit.
    mutating func queue(_ bytes: some Collection<UInt8>) {
        let room = max(0, pendingInputLimit - pendingInput.count)
        pendingInput.append(contentsOf: bytes.prefix(room))
    }

    /// The queued host input, taken out; `nil` when there is none.
    mutating func takePendingInput() -> ArraySlice<UInt8>? {
        guard !pendingInput.isEmpty else { return nil }
        defer { pendingInput.removeAll() }
        return ArraySlice(pendingInput)
    }

    /// Puts back queued input that could not be read yet, ahead of anything newer.
    mutating func putBack(_ input: ArraySlice<UInt8>) {
        pendingInput.prepend(contentsOf: input)
    }

    /// Frames host bytes from the front of `input`, echoing what it consumed when `echo` is on.
    mutating func nextFrame(_ input: inout ArraySlice<UInt8>, echo: Bool, to output: inout [UInt8]) -> SerialLineReader.Frame? {
        let phase = reader.phase
        let before = input
        let frame = reader.nextFrame(&input)
        if echo { self.echo(before[before.startIndex..<input.startIndex], phase: phase, to: &output) }
        return frame
    }

    private mutating func echo(_ consumed: ArraySlice<UInt8>, phase: SerialLineReader.Phase, to output: inout [UInt8]) {
        switch phase {
        case .command, .dataUntilCtrlZ:
            // The command line is echoed as typed. Ctrl-Z and ESC are not printable and not echoed,
            // and neither is the LF of a CRLF line end: it would land after the reply.
            for byte in consumed {
                defer { echoedCR = byte == SerialLineReader.carriageReturn }
                if byte == SerialLineReader.ctrlZ || byte == SerialLineReader.escape { continue }
                if byte == SerialLineReader.lineFeed, echoedCR { continue }
                output.append(byte)
            }
        case .dataFixed:
            break
        }
    }

    /// The text of the line just framed.
    var lineText: String { reader.withFrameBytes { String(decoding: $0, as: UTF8.self) } }

    /// The bytes of the data phase just framed.
    var frameBytes: [UInt8] { reader.frameBytes }

    /// Parses the line just framed, in place into reused storage: `nil` on a syntax error. Give the
    /// commands back with ``recycle(_:)`` once they ran.
    mutating func parseLine() -> [ATCommand]? {
        var commands = commandScratch
        commandScratch = []
        commands.removeAll(keepingCapacity: true)
        let parsed = reader.withFrameBytes { bytes in
            Result { () throws(ATSyntaxError) in try ATCommandParser.parse(bytes, into: &commands) }
        }
        guard case .success = parsed else {
            commandScratch = commands
            return nil
        }
        return commands
    }

    /// Keeps the storage of a line's commands for the next line.
    mutating func recycle(_ commands: [ATCommand]) {
        commandScratch = commands
    }

    /// `AT+CIPSEND`'s data phase: the reader takes data instead of lines.
    mutating func beginData(_ phase: SerialLineReader.Phase) {
        reader.beginData(phase)
    }

    /// A data phase ends without its data (`AT+HTTPDATA`'s time limit passed): back to command lines.
    mutating func cancelData() {
        reader.cancelData()
    }

    // MARK: Output

    /// An unsolicited result code: to the host now, or after the command in progress completes.
    mutating func emit(_ text: some StringProtocol, formatter: ResponseFormatter, to output: inout [UInt8]) {
        if isFree {
            formatter.appendLine(text, to: &output)
        } else {
            formatter.appendLine(text, to: &heldOutput)
        }
    }

    /// Unsolicited bytes (received data) now or after the command in progress. A link that fills
    /// the held output is paused until it is flushed, except while a send waits on the network:
    /// the network may be waiting on a peer that waits for the modem to read it, so the held
    /// output goes to the host then, ahead of the send's result, rather than stop the link.
    mutating func emit(bytes: some Collection<UInt8>, from connection: ConnectionID, to output: inout ModemOutput, links: LinkTable) {
        if isFree {
            output.serial.append(contentsOf: bytes)
            return
        }
        heldOutput.append(contentsOf: bytes)
        guard heldOutput.count >= heldOutputLimit else { return }
        if activity.waitsOnNetworkForSend, !executingCommands {
            flushHeldOutput(to: &output, links: links)
        } else if !pausedForHeldOutput.contains(connection) {
            pausedForHeldOutput.insert(connection)
            output.actions.append(.pauseReading(connection))
        }
    }

    /// The held output goes to the host; links it paused read again (unless their own buffer
    /// keeps them paused).
    mutating func flushHeldOutput(to output: inout ModemOutput, links: LinkTable) {
        if !heldOutput.isEmpty {
            output.serial.append(contentsOf: heldOutput)
            heldOutput.removeAll(keepingCapacity: true)
        }
        guard !pausedForHeldOutput.isEmpty else { return }
        for connection in pausedForHeldOutput.sorted() where !links.isPausedByBuffer(connection) {
            output.actions.append(.resumeReading(connection))
        }
        pausedForHeldOutput.removeAll()
    }

    /// The serial line's flow control in transparent mode: stop reading the host while link 0's
    /// send buffer (`unsent` bytes) is over `limit`, read again once half of it has drained.
    mutating func updateHostInputFlow(unsent: Int, limit: Int, actions: inout [ModemAction]) {
        let unsent = activity == .dataMode ? unsent : 0
        if !hostInputStopped, unsent > limit {
            hostInputStopped = true
            actions.append(.stopHostInput)
        } else if hostInputStopped, unsent <= limit / 2 {
            hostInputStopped = false
            actions.append(.resumeHostInput)
        }
    }
}
