import Logging
import ModemProtocol
import NIOCore
import NIOPosix

/// A connection to a SIM800-class module (or the emulator) that speaks its TCP/IP command set
/// (SIM800 Series AT Command Manual, chapter 8) and returns values instead of strings.
///
/// Commands are queued and sent one at a time; each waits for its final result or its time
/// (``CommandTimeouts``). Unsolicited result codes are delivered on ``unsolicitedResults()`` as they
/// arrive, also in the middle of a reply. After a timeout the next command first resynchronises
/// with `AT`. All methods may be called from any task.
public final class ModemClient: Sendable {
    /// Where the module is.
    public let endpoint: ModemEndpoint
    private let channel: any Channel
    private let handler: NIOLoopBound<CommandEngineHandler>

    private init(endpoint: ModemEndpoint, channel: any Channel, handler: NIOLoopBound<CommandEngineHandler>) {
        self.endpoint = endpoint
        self.channel = channel
        self.handler = handler
    }

    /// Opens the serial device or TCP socket. Nothing is sent to the module yet; call ``probe()``
    /// to check that an AT modem answers.
    ///
    /// With `trace`, the client records its own session there in the trace format of `modem tap` and
    /// `modem emulate --trace` (docs/trace.md): what it writes as `host`, what it reads as `module`,
    /// each step decoded, until ``disconnect()``.
    public static func open(
        _ endpoint: ModemEndpoint,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "ModemClient"),
        trace: String? = nil
    ) async throws(ModemClientError) -> ModemClient {
        let channel = try await endpoint.openChannel(group: eventLoopGroup, logger: logger)
        let loop = channel.eventLoop
        do {
            let handler = try await loop.submit {
                let engine = try channel.pipeline.syncOperations.handler(type: CommandEngineHandler.self)
                if let trace { engine.record(in: try TraceWriter(path: trace)) }
                return NIOLoopBound(engine, eventLoop: loop)
            }.get()
            return ModemClient(endpoint: endpoint, channel: channel, handler: handler)
        } catch let error as TraceWriter.OpenError {
            channel.close(promise: nil)
            throw .traceFile(path: error.path, reason: String(error.description.split(separator: ": ").last ?? ""))
        } catch {
            channel.close(promise: nil)
            throw .transportClosed
        }
    }

    /// Closes the serial device or socket; commands still waiting fail with ``ModemClientError/transportClosed``.
    /// The module itself is left as it is. A trace the client records is complete when this returns.
    public func disconnect() async {
        try? await channel.close()
        let handler = self.handler
        try? await channel.eventLoop.submit { handler.value.stopRecording() }.get()
    }

    // MARK: Commands

    /// Sends `request` and returns its reply. A reply that ends in `ERROR` is returned, not thrown;
    /// only a timeout, no answer or a closed transport throw.
    public func run(_ request: ATRequest) async throws(ModemClientError) -> ATReply {
        let promise = channel.eventLoop.makePromise(of: ATReply.self)
        let handler = self.handler
        channel.eventLoop.execute { handler.value.enqueue(request, promise: promise) }
        do {
            return try await promise.futureResult.get()
        } catch let error as ModemClientError {
            throw error
        } catch {
            throw .transportClosed
        }
    }

    /// Sends one command line as written (`AT+CSQ`) and returns the reply, `ERROR` included, with the
    /// outcome that follows the final result for the commands that have one (`CONNECT OK`,
    /// `+CDNSGIP:`, `SERVER OK`; ``ATReply/outcome``). `timeout`, when given, is the wait for the
    /// reply and again for its outcome; by default both are the manual's (``CommandTimeouts``).
    public func send(command: String, timeout: Duration? = nil) async throws(ModemClientError) -> ATReply {
        try await run(ATRequest(command, timeout: timeout, outcomeTimeout: timeout))
    }

    /// Runs an `AT+CIPSEND` line as written (`AT+CIPSEND`, `AT+CIPSEND=5`, `AT+CIPSEND=1,5`) with
    /// `data` after its `> ` prompt: exactly the length the line gives, or `data` and Ctrl-Z when it
    /// gives none (SIM800 manual §8.2.3). Returns the reply, ending in `SEND OK`, `DATA ACCEPT:…` or
    /// `SEND FAIL`, or `ERROR` before the prompt. `AT+CIPSEND=<x>` is a length in single-connection
    /// mode and a link in multi mode, so the module is asked first (`AT+CIPMUX?`). Data that does not
    /// fit the line throws ``ModemClientError/sendDataLength(command:expected:given:)`` or
    /// ``ModemClientError/sendDataNotTerminable(command:)`` before the line is sent. Any other line
    /// runs as ``send(command:timeout:)`` does.
    public func send(
        command: String, data: [UInt8], timeout: Duration? = nil
    ) async throws(ModemClientError) -> ATReply {
        let plain = ATRequest(command, timeout: timeout, outcomeTimeout: timeout)
        guard plain.completion == .send, let parsed = plain.lastCommand else { return try await run(plain) }
        let multi = SendData.dependsOnMode(parsed) ? try await multiConnection() ?? false : false
        let payload = try SendData.payload(data, for: parsed, line: command, multiConnection: multi)
        return try await run(ATRequest(command, timeout: timeout, outcomeTimeout: timeout, payload: payload))
    }

    /// The unsolicited result codes from now on, until the transport closes. Each call returns a new
    /// stream; results that arrive while nobody iterates are buffered (the newest 256).
    public func unsolicitedResults() -> AsyncStream<UnsolicitedResult> {
        subscribe(until: nil)
    }

    /// Checks that an AT modem answers: `AT` until `OK`.
    ///
    /// Throws ``ModemClientError/notAModem(received:)`` when the peer sends text but no `OK`, and
    /// ``ModemClientError/noAnswer`` when it stays silent.
    public func probe() async throws(ModemClientError) {
        let (noise, continuation) = makeSubscription(until: nil)
        var failure: ModemClientError
        do {
            let reply = try await run(ATRequest("AT", timeout: .seconds(1)))
            if reply.result.isSuccess {
                continuation.finish()
                return
            }
            failure = .notAModem(received: reply.transcript)
        } catch .timeout(_, let received) where !received.isEmpty {
            failure = .notAModem(received: received.joined(separator: "\n"))
        } catch {
            failure = error
        }
        if case .timeout = failure {
            // Once more, preceded by the engine's resync probes.
            do {
                _ = try await run(ATRequest("AT", timeout: .seconds(1)))
                continuation.finish()
                return
            } catch {
                failure = error
            }
        }
        channel.eventLoop.execute { continuation.finish() }
        var text: [String] = []
        for await result in noise {
            if case .other(let line) = result { text.append(line) }
        }
        switch failure {
        case .noAnswer, .timeout, .transportClosed:
            if !text.isEmpty { throw .notAModem(received: text.joined(separator: "\n")) }
            throw failure == .transportClosed ? .transportClosed : .noAnswer
        default:
            throw failure
        }
    }

    /// Sends `AT` until the module answers, after a timeout or on a line of unknown state.
    public func resync() async throws(ModemClientError) {
        _ = try await run(ATRequest("AT", timeout: CommandEngineStateMachine.probeTimeout))
    }

    // MARK: Status

    /// Whether the module is in multi-connection mode (`AT+CIPMUX?`); `nil` when it does not say.
    public func multiConnection() async throws(ModemClientError) -> Bool? {
        let reply = try await run(ATRequest("AT+CIPMUX?"))
        guard reply.result.isSuccess,
            let line = reply.lines.first(where: { $0.hasPrefix("+CIPMUX:") }),
            let value = Int(line.dropFirst("+CIPMUX:".count).trimmingCharacters(in: " "))
        else { return nil }
        return value == 1
    }

    /// How many links the module has in multi-connection mode, from the link range of its
    /// `AT+CIPSTART=?` (`+CIPSTART: (0-5),…` on a SIM800, `(0-7)` on a SIM900); `nil` when it does not say.
    public func linkCount() async throws(ModemClientError) -> Int? {
        let reply = try await run(ATRequest("AT+CIPSTART=?"))
        guard reply.result.isSuccess, let line = reply.lines.first(where: { $0.hasPrefix("+CIPSTART:") }),
            let open = line.firstIndex(of: "("), let close = line[open...].firstIndex(of: ")")
        else { return nil }
        let range = line[line.index(after: open)..<close].split(separator: "-")
        guard range.count == 2, range[0] == "0", let last = Int(range[1]), (0..<ModuleFamily.maximumLinkCount).contains(last)
        else { return nil }
        return last + 1
    }

    /// The module's TCP/IP state, and in multi-connection mode its server and links, as
    /// `AT+CIPSTATUS` reports them (SIM800 manual §8.2.8, spec `CIPSTATUS.md`), with the lines line
    /// noise made unreadable and whether the module gave a state at all (A6/A7 modules do not).
    public func statusReading() async throws(ModemClientError) -> StatusReading {
        let multi = try await multiConnection()
        let links = multi == true ? try await linkCount() : nil
        let request = ATRequest("AT+CIPSTATUS", completion: .status(multiConnection: multi, linkCount: links))
        let reply = try await run(request)
        try Self.require(reply)
        do {
            return try CIPSTATUSDecoder.readStatus(reply.lines.joined(separator: "\n"), multiConnection: multi)
        } catch {
            throw .unexpectedReply(command: request.line, reply: reply.transcript)
        }
    }

    /// The module's TCP/IP state, and in multi-connection mode its server and links, as
    /// `AT+CIPSTATUS` reports them (SIM800 manual §8.2.8, spec `CIPSTATUS.md`). Lines that could not
    /// be read are left out; ``statusReading()`` lists them.
    public func connectionStatus() async throws(ModemClientError) -> ConnectionStatus {
        try await statusReading().status
    }

    /// One link's status (`AT+CIPSTATUS=<n>`, multi-connection mode only).
    public func linkStatus(_ n: Int) async throws(ModemClientError) -> LinkStatus {
        let reply = try await run(ATRequest("AT+CIPSTATUS=\(n)"))
        try Self.require(reply)
        do {
            return try CIPSTATUSDecoder.decodeLink(reply.lines.joined(separator: "\n"))
        } catch {
            throw .unexpectedReply(command: reply.command, reply: reply.transcript)
        }
    }

    /// Status changes and unsolicited results as they happen: `AT+CIPSTATUS` every `interval`,
    /// compared with the previous answer. The first element is ``StatusChange/initial(_:)``. A failed
    /// poll is reported and polling goes on; the sequence ends when the transport closes or the
    /// consumer stops iterating.
    public func watch(every interval: Duration) -> AsyncStream<StatusChange> {
        let (stream, continuation) = AsyncStream.makeStream(of: StatusChange.self)
        let urcs = unsolicitedResults()
        let forward = Task {
            for await result in urcs { continuation.yield(.unsolicited(result)) }
            continuation.finish()
        }
        let poll = Task {
            var last: ConnectionStatus?
            while !Task.isCancelled {
                do throws(ModemClientError) {
                    let status = try await connectionStatus()
                    if let last {
                        for change in StatusChange.changes(from: last, to: status) { continuation.yield(change) }
                    } else {
                        continuation.yield(.initial(status))
                    }
                    last = status
                } catch .transportClosed {
                    continuation.finish()
                    return
                } catch {
                    continuation.yield(.pollFailed(error))
                }
                try? await Task.sleep(for: interval)
            }
        }
        continuation.onTermination = { _ in
            forward.cancel()
            poll.cancel()
        }
        return stream
    }

    // MARK: Lifecycle

    /// Selects single (`false`) or multi-connection mode (`AT+CIPMUX`); only allowed in IP INITIAL.
    public func setMultiConnection(_ enabled: Bool) async throws(ModemClientError) {
        try Self.require(try await run(ATRequest("AT+CIPMUX=\(enabled ? 1 : 0)")))
    }

    /// Selects manual receive (`AT+CIPRXGET=1`): data waits in the module until ``receive(link:maxLength:)``
    /// and is announced by ``UnsolicitedResult/dataAvailable(link:)``.
    public func setManualReceive(_ enabled: Bool) async throws(ModemClientError) {
        try Self.require(try await run(ATRequest("AT+CIPRXGET=\(enabled ? 1 : 0)")))
    }

    /// Brings up the GPRS context: `AT+CSTT` (IP START), `AT+CIICR` (IP GPRSACT, up to 85 s) and
    /// `AT+CIFSR` (IP STATUS). Returns the local IP address.
    public func attach(apn: String, user: String = "", password: String = "") async throws(ModemClientError) -> String {
        try Self.require(try await run(ATRequest("AT+CSTT=\"\(apn)\",\"\(user)\",\"\(password)\"")))
        try Self.require(try await run(ATRequest("AT+CIICR")))
        let reply = try await run(ATRequest("AT+CIFSR"))
        try Self.require(reply)
        guard case .text(let address) = reply.result else {
            throw .unexpectedReply(command: reply.command, reply: reply.transcript)
        }
        return address
    }

    /// Opens a connection (`AT+CIPSTART`) and waits for its outcome (``ATRequest/Completion/connection(link:)``):
    /// returns on `CONNECT OK` (or `ALREADY CONNECT`), throws ``ModemClientError/connectFailed(link:)``
    /// on `CONNECT FAIL` and ``ModemClientError/pdpDeactivated`` when the context is gone. `link` is
    /// `nil` in single mode.
    public func connect(
        link: Int? = nil, to host: String, port: Int, protocol transport: TransportProtocol = .tcp
    ) async throws(ModemClientError) {
        let arguments = "\"\(transport.rawValue)\",\"\(host)\",\(port)"
        let reply = try await run(ATRequest("AT+CIPSTART=" + (link.map { "\($0)," } ?? "") + arguments))
        guard let outcome = reply.outcome else { throw .commandFailed(command: reply.command, result: reply.result) }
        if outcome.isSuccess { return }
        let contextGone = outcome.lines.contains { line in
            let result = ModuleResult(line: line)
            return result == .pdpDeact || result == .state(.pdpDeact)
        }
        throw contextGone ? .pdpDeactivated : .connectFailed(link: link)
    }

    /// Sends `bytes` on a connected link (`AT+CIPSEND=[<n>,]<length>`, the `> ` prompt, the data)
    /// and waits for `SEND OK` or `DATA ACCEPT`. `ERROR` before the prompt means the link is not
    /// connected: ``ModemClientError/notConnected(link:)``.
    public func send(_ bytes: [UInt8], link: Int? = nil) async throws(ModemClientError) {
        precondition(!bytes.isEmpty, "send(_:link:) needs at least one byte")
        let request = ATRequest("AT+CIPSEND=" + (link.map { "\($0)," } ?? "") + "\(bytes.count)", payload: bytes)
        let reply = try await run(request)
        switch reply.result {
        case .error, .mobileEquipmentError(.operationNotAllowed, _): throw .notConnected(link: link)
        default: try Self.require(reply)
        }
    }

    /// Reads up to `maxLength` received bytes in manual receive mode (`AT+CIPRXGET=2`); empty when
    /// nothing is waiting.
    public func receive(link: Int? = nil, maxLength: Int = 1460) async throws(ModemClientError) -> [UInt8] {
        let reply = try await run(ATRequest("AT+CIPRXGET=2," + (link.map { "\($0)," } ?? "") + "\(maxLength)"))
        try Self.require(reply)
        return reply.data
    }

    /// Closes a link (`AT+CIPCLOSE`, quick close with `quick`) and waits for `CLOSE OK`.
    public func close(link: Int? = nil, quick: Bool = false) async throws(ModemClientError) {
        let arguments = [link.map(String.init), quick ? "1" : nil].compactMap { $0 }
        let line = "AT+CIPCLOSE" + (arguments.isEmpty ? "" : "=" + arguments.joined(separator: ","))
        let reply = try await run(ATRequest(line))
        switch reply.result {
        case .error, .mobileEquipmentError(.operationNotAllowed, _): throw .notConnected(link: link)
        default: try Self.require(reply)
        }
    }

    /// Closes every link and releases the PDP context (`AT+CIPSHUT`, up to 65 s): back to IP INITIAL.
    public func shut() async throws(ModemClientError) {
        try Self.require(try await run(ATRequest("AT+CIPSHUT")))
    }

    // MARK: Helpers

    static func require(_ reply: ATReply) throws(ModemClientError) {
        guard reply.result.isSuccess else { throw .commandFailed(command: reply.command, result: reply.result) }
    }

    /// A new subscriber stream for unsolicited results, finished after `timeout` when given.
    private func subscribe(until timeout: Duration?) -> AsyncStream<UnsolicitedResult> {
        makeSubscription(until: timeout).stream
    }

    private func makeSubscription(
        until timeout: Duration?
    ) -> (stream: AsyncStream<UnsolicitedResult>, continuation: AsyncStream<UnsolicitedResult>.Continuation) {
        let (stream, continuation) = AsyncStream.makeStream(
            of: UnsolicitedResult.self, bufferingPolicy: .bufferingNewest(256))
        let handler = self.handler
        let loop = channel.eventLoop
        loop.execute {
            let key = handler.value.subscribe(continuation)
            continuation.onTermination = { _ in loop.execute { handler.value.unsubscribe(key) } }
            if let timeout {
                loop.scheduleTask(in: TimeAmount(timeout)) { continuation.finish() }
            }
        }
        return (stream, continuation)
    }
}
