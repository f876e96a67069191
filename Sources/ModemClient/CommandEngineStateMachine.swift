import ModemProtocol

/// The host side of the AT command conversation as a pure state machine: commands, reply frames
/// and timer expiries in, actions out. It holds no channel, clock or task; ``CommandEngineHandler``
/// executes its actions.
///
/// One command runs at a time; the others wait in order. A reply ends at the command's final
/// result (``ATRequest/Completion``). Lines that are not part of the running command's reply and
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

    private enum Phase {
        case awaitingReply
        case awaitingPrompt
        case awaitingSendResult
        case statusTrailer(sawState: Bool)
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
            return complete(.ok)
        }
        guard timer == running.timer else { return [] }
        var actions: [Action] = running.settleTimer.map { [.cancelTimer($0)] } ?? []
        self.running = nil
        if let id = running.id {
            needsResync = true
            actions.append(.fail(id, .timeout(command: running.request.line, received: running.lines)))
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
        if let result = finalResult(line, running: running) {
            if case .status = running.request.completion, result == .ok {
                running.phase = .statusTrailer(sawState: false)
                self.running = running
                return []
            }
            self.running = running
            return complete(result)
        }
        if !isOwnInformation(line, command: running.command), let unsolicited = UnsolicitedResult(line: line) {
            self.running = running
            return [.deliver(unsolicited)]
        }
        if running.lines.count < Self.maximumReplyLines { running.lines.append(line) }
        self.running = running
        return []
    }

    private mutating func statusLineReceived(_ line: String, sawState: Bool, running: inout Running) -> [Action] {
        guard case .status(let multiConnection, let linkCount) = running.request.completion else { return [] }
        let upper = line.uppercased()
        let isState = upper.hasPrefix("STATE:")
        let isEntry = upper.hasPrefix("C:") || upper.hasPrefix("S:")
        guard (isState && !sawState) || (isEntry && sawState) else {
            self.running = running
            return [.deliver(UnsolicitedResult(line: line) ?? .other(line))]
        }
        if running.lines.count < Self.maximumReplyLines { running.lines.append(line) }
        running.phase = .statusTrailer(sawState: true)
        if isState, multiConnection == false {
            self.running = running
            return complete(.ok)
        }
        if isEntry, case .link(let link) = try? CIPSTATUSDecoder.decodeLine(line), link.number == linkCount - 1 {
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

    private func finalResult(_ line: String, running: Running) -> FinalResult? {
        let result = ModuleResult(line: line)
        switch (running.request.completion, result) {
        case (.localAddress, _):
            if IPv4Address(line) != nil { return .text(line) }
        case (.shut, .shutOK?), (.close, .closeOK?), (.send, .sendOK?), (.send, .dataAccept?):
            return .text(line)
        case (.send, .sendFail?):
            return .sendFailed(line)
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

    private mutating func complete(_ result: FinalResult) -> [Action] {
        guard let running else { return [] }
        self.running = nil
        var actions: [Action] = [.cancelTimer(running.timer)]
        if let settle = running.settleTimer { actions.append(.cancelTimer(settle)) }
        if let id = running.id {
            let reply = ATReply(command: running.request.line, lines: running.lines, data: running.data, result: result)
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
