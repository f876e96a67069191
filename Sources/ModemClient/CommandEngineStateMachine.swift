import ModemProtocol

/// The host side of the AT command conversation as a pure state machine: commands, reply frames
/// and timer expiries in, actions out. It holds no channel, clock or task; ``CommandEngineHandler``
/// executes its actions.
///
/// One command runs at a time; the others wait in order. A reply ends at the command's final
/// result (``ATRequest/Completion``), or at the outcome that follows it (``ReplyOutcome``). Lines
/// that are not part of the running command's reply and
/// are unsolicited result codes are delivered as such at once, also in the middle of a reply. After
/// a timeout the next command is preceded by `AT` probes until one is answered (resync).
struct CommandEngineStateMachine {
    typealias RequestID = UInt64
    typealias TimerID = UInt64

    enum Action: Equatable {
        case write([UInt8])
        case startTimer(TimerID, Duration)
        case cancelTimer(TimerID)
        case succeed(RequestID, ATReply)
        case fail(RequestID, ModemClientError)
        case deliver(UnsolicitedResult)
    }

    /// How many `AT` probes a resync sends before the waiting command fails with ``ModemClientError/noAnswer``.
    static let probeAttempts = 3
    /// How long each probe waits for its `OK`.
    static let probeTimeout: Duration = .seconds(1)
    /// Most information lines one reply keeps; a module (or line noise) that sends more has the
    /// rest dropped, so that a reply cannot grow without bound.
    static let maximumReplyLines = 1024
    /// How long an optional outcome may take after the result it follows (``ReplyOutcome/Expectation/optional``).
    static let optionalOutcomeWait: Duration = .milliseconds(500)
    /// How the `> ` prompt appears among the lines a timeout reports.
    static let promptText = "> "

    private enum Phase {
        case awaitingReply
        case awaitingPrompt
        case awaitingSendResult
        case statusTrailer(sawState: Bool)
        /// The final result came; the outcome that follows it is awaited.
        case awaitingOutcome(FinalResult, ReplyOutcome.Expectation)
    }

    private struct Running {
        /// `nil` for a resync probe.
        var id: RequestID?
        var request: ATRequest
        var command: ATCommand?
        var phase: Phase
        var echoPending = true
        var lines: [String] = []
        var data: [UInt8] = []
        var timer: TimerID
        var settleTimer: TimerID?
        /// The number of the last `C:` link line of an `AT+CIPSTATUS` reply so far.
        var lastLink: Int?
        /// Where among `lines` the `> ` prompt came, if it did.
        var promptIndex: Int?
        /// The lines of the outcome so far.
        var outcome: [String] = []

        /// Everything that arrived, in order, as a timeout reports it.
        var received: [String] {
            var received = lines
            if let promptIndex { received.insert(CommandEngineStateMachine.promptText, at: promptIndex) }
            if case .awaitingOutcome(let result, _) = phase { received += [result.text] + outcome }
            return received
        }
    }

    private var queue: [(id: RequestID, request: ATRequest)] = []
    private var running: Running?
    private var needsResync = false
    private var failedProbes = 0
    private var isClosed = false
    private var lastTimer: TimerID = 0

    /// Whether a command is running or waiting.
    var isBusy: Bool { running != nil || !queue.isEmpty }

    // MARK: Inputs

    /// A caller asked for `request`.
    mutating func commandRequested(_ request: ATRequest, id: RequestID) -> [Action] {
        if isClosed { return [.fail(id, .transportClosed)] }
        queue.append((id, request))
        return startNextIfIdle()
    }

    /// The decoder produced a frame.
    mutating func frameReceived(_ frame: ReplyFrame) -> [Action] {
        switch frame {
        case .prompt:
            guard var running, case .awaitingPrompt = running.phase else { return [] }
            running.phase = .awaitingSendResult
            running.promptIndex = running.lines.count
            self.running = running
            return [.write(running.request.payload)]
        case .data(let header, let bytes):
            if let result = UnsolicitedResult(header: header, bytes: bytes) { return [.deliver(result)] }
            guard var running else { return [.deliver(.other(header))] }
            self.running = nil  // unshared while it grows, as in lineReceived
            if running.lines.count < Self.maximumReplyLines { running.lines.append(header) }
            running.data.append(contentsOf: bytes)
            self.running = running
            return []
        case .line(let line):
            return lineReceived(line)
        }
    }

    /// A timer started by ``Action/startTimer(_:_:)`` expired.
    mutating func timerFired(_ timer: TimerID) -> [Action] {
        guard let running else { return [] }
        if timer == running.settleTimer {
            return statusSettled()
        }
        guard timer == running.timer else { return [] }
        if case .awaitingOutcome(let result, .optional) = running.phase { return complete(result) }
        var actions: [Action] = running.settleTimer.map { [.cancelTimer($0)] } ?? []
        self.running = nil
        if let id = running.id {
            // A module that answered and then said no more is still in step: no resync.
            if case .awaitingOutcome = running.phase {} else { needsResync = true }
            actions.append(.fail(id, .timeout(command: running.request.line, received: running.received)))
        } else {
            failedProbes += 1
            if failedProbes >= Self.probeAttempts, !queue.isEmpty {
                failedProbes = 0
                let waiting = queue.removeFirst()
                actions.append(.fail(waiting.id, .noAnswer))
            }
        }
        return actions + startNextIfIdle()
    }

    /// The transport closed: everything running or waiting fails.
    mutating func transportClosed() -> [Action] {
        isClosed = true
        var actions: [Action] = []
        if let running {
            actions.append(.cancelTimer(running.timer))
            if let settle = running.settleTimer { actions.append(.cancelTimer(settle)) }
            // What an unfinished reply held is still worth seeing (a peer that is not a modem).
            actions += running.lines.map { .deliver(.other($0)) }
            if let id = running.id { actions.append(.fail(id, .transportClosed)) }
        }
        running = nil
        actions += queue.map { .fail($0.id, .transportClosed) }
        queue.removeAll()
        return actions
    }

    // MARK: Lines

    private mutating func lineReceived(_ line: String) -> [Action] {
        guard var running else { return [.deliver(UnsolicitedResult(line: line) ?? .other(line))] }
        // Taken out while it changes, so that its `lines` is not shared and an append does not copy
        // it (a copy per line made a reply of n lines cost n²). Every path below puts it back.
        self.running = nil
        if running.echoPending, Self.isEcho(line, of: running.request.line) {
            running.echoPending = false
            self.running = running
            return []
        }
        if case .statusTrailer(let sawState) = running.phase {
            return statusLineReceived(line, sawState: sawState, running: &running)
        }
        if case .awaitingOutcome(let result, _) = running.phase {
            return outcomeLineReceived(line, after: result, running: &running)
        }
        if let result = finalResult(line, running: running) {
            // SIM800 layouts put the status after `OK`; the A6/A7 layout (and a `STATE:`-first
            // variant) before it, so that `OK` ends the reply.
            if case .status = running.request.completion, result == .ok, !Self.hasStatusLines(running.lines) {
                running.phase = .statusTrailer(sawState: false)
                self.running = running
                return []
            }
            if let expectation = ReplyOutcome.expectation(running.request.completion, after: result) {
                return awaitOutcome(after: result, expectation, running: &running)
            }
            self.running = running
            return complete(result)
        }
        if case .status = running.request.completion, Self.isA6LinkLine(line, after: running.lines) {
            running.lines.append(line)
            self.running = running
            return []
        }
        if !isOwnInformation(line, command: running.command), let unsolicited = UnsolicitedResult(line: line) {
            self.running = running
            return [.deliver(unsolicited)]
        }
        if running.lines.count < Self.maximumReplyLines { running.lines.append(line) }
        self.running = running
        return []
    }

    /// A line after the `OK` of `AT+CIPSTATUS`: the `STATE:` line and the `S:`/`C:` lines, in either
    /// order. The reply ends at `STATE:` in single mode; in multi mode at the module's last link
    /// (`linkCount - 1` when known, link 7 at the most), else after a quiet time once at least the
    /// fewest links a module lists (six) came. A reply cut short is left to time out, never ended.
    private mutating func statusLineReceived(_ line: String, sawState: Bool, running: inout Running) -> [Action] {
        guard case .status(let multiConnection, let linkCount) = running.request.completion else { return [] }
        let upper = line.uppercased()
        let isState = upper.hasPrefix("STATE:")
        let isEntry = upper.hasPrefix("C:") || upper.hasPrefix("S:")
        guard (isState && !sawState) || isEntry else {
            self.running = running
            return [.deliver(UnsolicitedResult(line: line) ?? .other(line))]
        }
        if running.lines.count < Self.maximumReplyLines { running.lines.append(line) }
        if isEntry, case .link(let link) = try? CIPSTATUSDecoder.decodeLine(line) { running.lastLink = link.number }
        let stateSeen = sawState || isState
        running.phase = .statusTrailer(sawState: stateSeen)
        if isState, multiConnection == false {
            self.running = running
            return complete(.ok)
        }
        if stateSeen, let last = running.lastLink,
            last == (linkCount ?? ModuleFamily.maximumLinkCount) - 1 || last == ModuleFamily.maximumLinkCount - 1
        {
            self.running = running
            return complete(.ok)
        }
        var actions: [Action] = running.settleTimer.map { [.cancelTimer($0)] } ?? []
        let settle = makeTimer()
        running.settleTimer = settle
        actions.append(.startTimer(settle, running.request.settleTime))
        self.running = running
        return actions
    }

    /// The quiet time after a status line passed: the reply ends if it is whole.
    private mutating func statusSettled() -> [Action] {
        guard var running, case .statusTrailer(let sawState) = running.phase,
            case .status(let multiConnection, let linkCount) = running.request.completion
        else { return complete(.ok) }
        running.settleTimer = nil
        let fewest = (linkCount ?? ModuleFamily.sim800.linkCount) - 1
        let cutShort = !sawState || (running.lastLink ?? (multiConnection == true ? -1 : fewest)) < fewest
        self.running = running
        return cutShort ? [] : complete(.ok)
    }

    /// The final result of a command with an outcome came: its timer gives way to the outcome's.
    private mutating func awaitOutcome(
        after result: FinalResult, _ expectation: ReplyOutcome.Expectation, running: inout Running
    ) -> [Action] {
        let timer = makeTimer()
        let wait = expectation == .required ? running.request.outcomeTimeout : Self.optionalOutcomeWait
        let actions: [Action] = [.cancelTimer(running.timer), .startTimer(timer, wait)]
        running.timer = timer
        running.phase = .awaitingOutcome(result, expectation)
        self.running = running
        return actions
    }

    /// A line after the final result of a command with an outcome: part of the outcome, the line
    /// that decides it, or a URC.
    private mutating func outcomeLineReceived(
        _ line: String, after result: FinalResult, running: inout Running
    ) -> [Action] {
        switch ReplyOutcome.classify(line, running.request.completion, after: result) {
        case .decides(let success)?:
            let outcome = ATReply.Outcome(lines: running.outcome + [line], isSuccess: success)
            self.running = running
            return complete(result, outcome: outcome)
        case .precedes?:
            if running.outcome.count < Self.maximumReplyLines { running.outcome.append(line) }
            self.running = running
            return []
        case nil:
            self.running = running
            return [.deliver(UnsolicitedResult(line: line) ?? .other(line))]
        }
    }

    /// Whether reply lines before `OK` already hold the status (`+CIPSTATUS:`, `STATE:`, `C:`).
    private static func hasStatusLines(_ lines: [String]) -> Bool {
        lines.contains { line in
            let upper = line.uppercased()
            return upper.hasPrefix("+CIPSTATUS:") || upper.hasPrefix("STATE:") || upper.hasPrefix("C:")
        }
    }

    /// `0,CONNECT OK` after the A6/A7 `+CIPSTATUS:` header: a link of the reply, not a URC.
    private static func isA6LinkLine(_ line: String, after lines: [String]) -> Bool {
        guard let first = line.utf8.first, (0x30...0x39).contains(first),
            lines.contains(where: { $0.uppercased().hasPrefix("+CIPSTATUS:") })
        else { return false }
        return (try? CIPSTATUSDecoder.decodeLine(line)).flatMap { $0 } != nil
    }

    private func finalResult(_ line: String, running: Running) -> FinalResult? {
        let result = ModuleResult(line: line)
        switch (running.request.completion, result) {
        case (.localAddress, _):
            if IPv4Address(line) != nil { return .text(line) }
        case (.shut, .shutOK?), (.close, .closeOK?), (.send, .sendOK?), (.send, .dataAccept?):
            return .text(line)
        case (.send, .sendFail?):
            return .sendFailed(line)
        case (.server(opening: false), .serverClose?):
            return .text(line)
        default:
            break
        }
        return FinalResult(line: line)
    }

    /// An information line carries the command's name (`+CSQ: 20,0` for `AT+CSQ`, 3GPP TS 27.007
    /// §4.1); `+CIPRXGET: 1[,n]` is the unsolicited notice except in reply to `AT+CIPRXGET?`.
    private func isOwnInformation(_ line: String, command: ATCommand?) -> Bool {
        guard let command, command.isExtended, line.hasPrefix(command.name + ":") else { return false }
        if command.name == "+CIPRXGET", command.form != .read, case .dataAvailable? = ModuleResult(line: line) {
            return false
        }
        return true
    }

    // MARK: Transitions

    private mutating func complete(_ result: FinalResult, outcome: ATReply.Outcome? = nil) -> [Action] {
        guard let running else { return [] }
        self.running = nil
        var actions: [Action] = [.cancelTimer(running.timer)]
        if let settle = running.settleTimer { actions.append(.cancelTimer(settle)) }
        if let id = running.id {
            let reply = ATReply(
                command: running.request.line, lines: running.lines, data: running.data, result: result, outcome: outcome)
            actions.append(.succeed(id, reply))
        } else {
            needsResync = false
            failedProbes = 0
        }
        return actions + startNextIfIdle()
    }

    private mutating func startNextIfIdle() -> [Action] {
        guard running == nil, !isClosed, !queue.isEmpty else { return [] }
        let request: ATRequest
        let id: RequestID?
        if needsResync {
            request = ATRequest("AT", timeout: Self.probeTimeout, completion: .standard)
            id = nil
        } else {
            let next = queue.removeFirst()
            request = next.request
            id = next.id
        }
        let timer = makeTimer()
        let phase: Phase = request.completion == .send ? .awaitingPrompt : .awaitingReply
        running = Running(id: id, request: request, command: request.lastCommand, phase: phase, timer: timer)
        return [.write(Array((request.line + "\r").utf8)), .startTimer(timer, request.timeout)]
    }

    private mutating func makeTimer() -> TimerID {
        lastTimer += 1
        return lastTimer
    }

    // MARK: Helpers

    static func isEcho(_ line: String, of command: String) -> Bool {
        line.trimmingCharacters(in: " ").uppercased() == command.trimmingCharacters(in: " ").uppercased()
    }
}
