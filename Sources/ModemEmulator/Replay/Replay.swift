import Logging
import ModemProtocol
import NIOCore
import NIOPosix
import ServiceLifecycle

/// What `modem replay` runs.
public struct ReplayOptions: Sendable {
    /// What to do when the host sends something the recording's host did not.
    public enum OnDivergence: String, Sendable, CaseIterable {
        /// Answer `ERROR` (`\r\nERROR\r\n`) and stay at the same place in the recording.
        case error
        /// Skip what the host sent; stay at the same place.
        case ignore
        /// End the replay with ``ReplayError/diverged(_:)``.
        case stop
    }

    /// The line offered to the host: `.pty(link:)` or `.listen(host:port:)`.
    public var host: SerialEndpointKind = .pty(link: nil)
    /// Recorded delays are divided by it; `nil` plays without delay (`--speed max`).
    public var speed: Double? = 1
    /// What to do when the host diverges from the recording (`--on-divergence`).
    public var onDivergence: OnDivergence = .error
    /// Told each divergence (the CLI prints it on stderr), on the replay's event loop.
    public var report: @Sendable (TraceReplay.Divergence) -> Void = { _ in }

    /// A PTY, recorded timing, `ERROR` on divergence.
    public init() {}
}

/// Why a replay ended.
public enum ReplayError: Error, CustomStringConvertible {
    /// The host diverged from the recording and the replay was told to stop (`--on-divergence stop`).
    case diverged(TraceReplay.Divergence)

    /// The divergence's report.
    public var description: String {
        switch self {
        case .diverged(let divergence): "\(divergence)"
        }
    }
}

/// Acts as the module of a recorded session (issue 15 §4): runs a ``TraceReplay`` on one event
/// loop, feeding it what the host writes and the timers it asks for, and writing what it plays to
/// the host's line (a PTY or one TCP client at a time). While no host is attached, what it plays is lost.
public final class Replay: Sendable {
    /// Where the host finds its line.
    public let address: SerialEndpointAddress
    private let hostLine: HostLine
    private let player: ReplayPlayer
    private let ended: AsyncStream<ReplayError>

    private init(
        address: SerialEndpointAddress, hostLine: HostLine, player: ReplayPlayer, ended: AsyncStream<ReplayError>
    ) {
        self.address = address
        self.hostLine = hostLine
        self.player = player
        self.ended = ended
    }

    /// Opens the host's line and starts playing `records` (the recording's clock starts now).
    public static func start(
        records: [TraceRecord], options: ReplayOptions,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) async throws -> Replay {
        let loop = group.next()
        let (ended, endedContinuation) = AsyncStream.makeStream(of: ReplayError.self)
        let player = try await loop.submit {
            ReplayPlayer(
                replay: TraceReplay(records: records, speed: options.speed), options: options, eventLoop: loop
            ) { endedContinuation.yield($0) }
        }.get()
        let hostLine = try await HostLine.open(options.host, on: loop, logger: logger) { channel in
            guard !player.hasHost else { return false }
            try channel.pipeline.syncOperations.addHandler(ReplayHostHandler(player: player))
            return true
        }
        try await loop.submit { player.start() }.get()
        return Replay(address: hostLine.address, hostLine: hostLine, player: player, ended: ended)
    }

    /// Returns when the replay stopped at a divergence (``ReplayError``), or `nil` when cancelled.
    public func waitUntilEnded() async -> ReplayError? {
        for await error in ended { return error }
        return nil
    }

    /// Stops playing and closes the host's line (removing a `--link` symlink).
    public func shutdown() async {
        let player = self.player
        try? await player.eventLoop.submit { player.stop() }.get()
        await hostLine.close()
    }
}

/// Runs a ``Replay`` under swift-service-lifecycle: starts it once SIGINT/SIGTERM are handled, runs
/// until graceful shutdown, and throws ``ReplayError`` when the replay stopped at a divergence.
public struct ReplayService: Service {
    private let start: @Sendable () async throws -> Replay
    private let started: @Sendable (SerialEndpointAddress) -> Void

    /// `start` starts the replay; `started` is told where the host finds its line.
    public init(
        start: @escaping @Sendable () async throws -> Replay,
        started: @escaping @Sendable (SerialEndpointAddress) -> Void = { _ in }
    ) {
        self.start = start
        self.started = started
    }

    /// Starts the replay, runs until graceful shutdown or a divergence that stops it, then shuts it down.
    public func run() async throws {
        let replay = try await start()
        started(replay.address)
        let error = await cancelWhenGracefulShutdown {
            await replay.waitUntilEnded()
        }
        await replay.shutdown()
        if let error { throw error }
    }
}

/// The replay's state on its event loop: the machine, the attached host, the wake-up timer.
final class ReplayPlayer {
    private var replay: TraceReplay
    private let options: ReplayOptions
    let eventLoop: any EventLoop
    private let stopped: (ReplayError) -> Void
    private var host: (any Channel)?
    private var timer: Scheduled<Void>?
    private let origin = NIODeadline.now()

    init(
        replay: TraceReplay, options: ReplayOptions, eventLoop: any EventLoop,
        stopped: @escaping (ReplayError) -> Void
    ) {
        self.replay = replay
        self.options = options
        self.eventLoop = eventLoop
        self.stopped = stopped
    }

    var hasHost: Bool { host != nil }

    private var now: Int64 { (NIODeadline.now() - origin).nanoseconds / 1000 }

    func start() {
        run(replay.start(at: now))
    }

    /// Cancels the next wake-up; nothing more is played.
    func stop() {
        timer?.cancel()
        timer = nil
        host = nil
    }

    func attach(_ channel: any Channel) {
        host = channel
    }

    func detach(_ channel: any Channel) {
        if host === channel { host = nil }
    }

    func received(_ bytes: [UInt8]) {
        run(replay.hostSent(bytes, at: now))
    }

    private func run(_ actions: [TraceReplay.Action]) {
        var output: [UInt8] = []
        for action in actions {
            switch action {
            case .send(let bytes):
                output += bytes
            case .wake(let time):
                timer?.cancel()
                timer = eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(
                    deadline: origin + .nanoseconds(time * 1000)
                ) { [self] in
                    timer = nil
                    run(replay.wake(at: now))
                }
            case .diverged(let divergence):
                options.report(divergence)
                switch options.onDivergence {
                case .error:
                    let error = Array("\r\nERROR\r\n".utf8)
                    replay.sentOutsideTheRecording(error, at: now)
                    output += error
                case .ignore:
                    break
                case .stop:
                    stopped(.diverged(divergence))
                }
            }
        }
        if let host, !output.isEmpty {
            host.writeAndFlush(ByteBuffer(bytes: output), promise: nil)
        }
    }
}

// Confined to its event loop.
extension ReplayPlayer: @unchecked Sendable {}

/// Hands what the host writes to the ``ReplayPlayer``.
final class ReplayHostHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let player: ReplayPlayer

    init(player: ReplayPlayer) {
        self.player = player
    }

    func handlerAdded(context: ChannelHandlerContext) {
        player.attach(context.channel)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        player.received(Array(unwrapInboundIn(data).readableBytesView))
    }

    func channelInactive(context: ChannelHandlerContext) {
        player.detach(context.channel)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { context.close(promise: nil) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
