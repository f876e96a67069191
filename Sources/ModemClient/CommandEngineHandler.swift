import Logging
import ModemProtocol
import NIOCore

/// Runs a ``CommandEngineStateMachine`` on a channel: feeds it the frames of the bytes read and
/// executes its actions (writes, timers, completing promises, delivering unsolicited results).
/// Everything happens on the channel's event loop.
final class CommandEngineHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine = CommandEngineStateMachine()
    private var decoder = ReplyFrameDecoder()
    private var context: ChannelHandlerContext?
    private var promises: [CommandEngineStateMachine.RequestID: EventLoopPromise<ATReply>] = [:]
    private var timers: [CommandEngineStateMachine.TimerID: Scheduled<Void>] = [:]
    private var subscribers: [Int: AsyncStream<UnsolicitedResult>.Continuation] = [:]
    private var lastRequest: CommandEngineStateMachine.RequestID = 0
    private var lastSubscriber = 0
    private var isClosed = false
    private let logger: Logger
    /// Records what crosses the line: what the client writes as `host`, what it reads as `module`.
    private var trace: TraceWriter?

    init(logger: Logger) {
        self.logger = logger
    }

    // MARK: Called on the event loop by ModemClient

    /// Records the session from now on in `trace` (docs/trace.md).
    func record(in trace: TraceWriter) {
        self.trace = trace
    }

    /// Ends the trace: what it holds of a partial step is written as `other`.
    func stopRecording() {
        trace?.close()
        trace = nil
    }

    func enqueue(_ request: ATRequest, promise: EventLoopPromise<ATReply>) {
        lastRequest += 1
        promises[lastRequest] = promise
        run(machine.commandRequested(request, id: lastRequest))
    }

    /// Adds a subscriber for unsolicited results; returns its key for ``unsubscribe(_:)``.
    func subscribe(_ continuation: AsyncStream<UnsolicitedResult>.Continuation) -> Int {
        if isClosed {
            continuation.finish()
            return 0
        }
        lastSubscriber += 1
        subscribers[lastSubscriber] = continuation
        return lastSubscriber
    }

    func unsubscribe(_ key: Int) {
        subscribers.removeValue(forKey: key)?.finish()
    }

    // MARK: ChannelInboundHandler

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closeDown()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        logger.trace("read", metadata: ["bytes": "\(String(decoding: bytes, as: UTF8.self).debugDescription)"])
        trace?.module(bytes)
        var input = bytes[...]
        while let frame = decoder.next(&input) {
            run(machine.frameReceived(frame))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closeDown()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("transport error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: Actions

    private func closeDown() {
        guard !isClosed else { return }
        isClosed = true
        stopRecording()
        run(machine.transportClosed())
        for timer in timers.values { timer.cancel() }
        timers.removeAll()
        for continuation in subscribers.values { continuation.finish() }
        subscribers.removeAll()
    }

    private func run(_ actions: [CommandEngineStateMachine.Action]) {
        for action in actions {
            switch action {
            case .write(let bytes):
                guard let context else { continue }
                logger.trace("write", metadata: ["bytes": "\(String(decoding: bytes, as: UTF8.self).debugDescription)"])
                trace?.host(bytes)
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
            case .startTimer(let id, let duration):
                guard let context else { continue }
                let loop = context.eventLoop.assumeIsolated()
                timers[id] = loop.scheduleTask(in: TimeAmount(duration)) { [self] in
                    timers.removeValue(forKey: id)
                    run(machine.timerFired(id))
                }
            case .cancelTimer(let id):
                timers.removeValue(forKey: id)?.cancel()
            case .succeed(let id, let reply):
                promises.removeValue(forKey: id)?.succeed(reply)
            case .fail(let id, let error):
                promises.removeValue(forKey: id)?.fail(error)
            case .deliver(let result):
                logger.debug("unsolicited", metadata: ["result": "\(result)"])
                for continuation in subscribers.values { continuation.yield(result) }
            }
        }
    }
}
