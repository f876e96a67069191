import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// What `modem emulate` runs: one or more modems, their serial endpoints and the control socket.
public struct EmulatorOptions: Sendable {
    /// Where the serial line is.
    public var serial: SerialEndpointKind = .pty(link: nil)
    /// How many independent modems (`--count`; only with `.listen`: modem i on port + i).
    public var count = 1
    /// The control socket (`--control PATH`, or the ``ControlSocket/defaultPath(environment:userID:)``).
    public var controlPath: String?
    /// Whether ``controlPath`` is the default one rather than the user's: when another running
    /// emulator holds it, this one starts without a control socket (and says so) instead of failing.
    public var controlPathIsDefault = false
    /// Network simulation and limits, the same for every modem.
    public var modem = EmulatorConfiguration()
    /// Whether each modem keeps a ``LiveFeed`` for the live view (`--http`).
    public var liveView = false

    /// A single modem on a new pseudo-terminal, with the default network and timing.
    public init() {}

    /// Rejects combinations that cannot work.
    public func validate() throws(EmulatorError) {
        guard count >= 1 else { throw .invalidOption("--count must be at least 1") }
        if count > 1 {
            guard case .listen = serial else {
                throw .invalidOption("--count needs --listen HOST:BASEPORT (one port per modem)")
            }
        }
    }
}

/// A running set of virtual modems sharing one event loop group.
///
/// Each modem lives on one loop of the group (round robin), with all its channels; a modem at rest
/// holds no thread, timer or buffer of its own beyond a few small arrays.
public actor Emulator {
    /// The modems, in `--count` order.
    public nonisolated let modems: [VirtualModem]
    /// Carries out control requests (the control socket's and the HTTP API's) on ``modems``.
    public nonisolated let dispatcher: ControlDispatcher
    private let options: EmulatorOptions
    private let group: any EventLoopGroup
    private let logger: Logger
    private var endpoints: [SerialEndpoint] = []
    private var control: ControlSocket?
    /// The `--link` and `--control` paths this run owns.
    private var locks: [PathLock] = []
    private var started = false
    private var stopped = false
    private nonisolated let lineGone: AsyncStream<Void>
    private nonisolated let lineGoneContinuation: AsyncStream<Void>.Continuation

    /// Creates the modems (nothing is opened until ``start()``); throws when the options cannot work.
    public init(options: EmulatorOptions, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger)
        throws(EmulatorError)
    {
        try options.validate()
        self.options = options
        self.group = group
        self.logger = logger
        var modems: [VirtualModem] = []
        let start = ContinuousClock.now
        for index in 0..<options.count {
            var configuration = options.modem
            if options.count > 1, let path = configuration.tracePath { configuration.tracePath = "\(path).\(index)" }
            let live = options.liveView ? LiveFeed(modem: index, model: configuration.modem.model, start: start) : nil
            modems.append(
                try VirtualModem(
                    index: index, configuration: configuration, eventLoop: group.next(), logger: logger, live: live))
        }
        self.modems = modems
        dispatcher = ControlDispatcher(modems: modems)
        (lineGone, lineGoneContinuation) = AsyncStream.makeStream(of: Void.self)
    }

    /// Opens every serial endpoint and the control socket; returns where hosts find each modem
    /// (calling it again returns the same addresses).
    ///
    /// Throws ``EmulatorError/pathInUse(path:pid:)`` before opening anything when the `--link` or
    /// `--control` path belongs to another emulator that is running; a stale one is replaced.
    @discardableResult
    public func start() async throws -> [SerialEndpointAddress] {
        guard !started else { return addresses }
        started = true
        do {
            if case .pty(let link?) = options.serial { locks.append(try PathLock.acquire(link)) }
            var controlPath = options.controlPath
            if let path = controlPath {
                do {
                    locks.append(try PathLock.acquire(path))
                } catch {
                    guard options.controlPathIsDefault, let owner = Self.owner(ofPathInUse: error) else { throw error }
                    logger.notice(
                        "no control socket: the default \(path) belongs to another emulator (\(owner)); give --control PATH")
                    controlPath = nil
                }
            }
            for modem in modems {
                var kind = options.serial
                if case .listen(let host, let port) = kind, port != 0 { kind = .listen(host: host, port: port + modem.index) }
                let continuation = lineGoneContinuation
                let endpoint = try await SerialEndpoint.open(kind, for: modem) {
                    continuation.yield()
                }
                endpoints.append(endpoint)
                try await modem.switchOn()
            }
            if let path = controlPath {
                control = try await ControlSocket.open(
                    at: path, dispatcher: dispatcher, group: group, logger: logger)
            }
        } catch {
            await shutdown()
            throw error
        }
        return addresses
    }

    /// `pid N` when `error` says a path belongs to another running emulator.
    private static func owner(ofPathInUse error: any Error) -> String? {
        guard case EmulatorError.pathInUse(_, let pid) = error else { return nil }
        return pid.map { "pid \($0)" } ?? "pid unknown"
    }

    /// Where hosts find each modem's serial line.
    public var addresses: [SerialEndpointAddress] { endpoints.map(\.address) }

    /// Returns when a PTY or stdio serial line ended for good (stdin closed), or the task is cancelled.
    public nonisolated func waitUntilLineGone() async {
        for await _ in lineGone { return }
    }

    /// Closes the control socket, the serial endpoints (removing a `--link` symlink) and every socket.
    public func shutdown() async {
        guard !stopped else { return }
        stopped = true
        await control?.close()
        control = nil
        for modem in modems { await modem.shutdown() }
        for endpoint in endpoints { await endpoint.close() }
        endpoints = []
        for lock in locks { lock.release() }
        locks = []
        lineGoneContinuation.finish()
    }
}

/// Runs an ``Emulator`` under swift-service-lifecycle: on SIGINT/SIGTERM (graceful shutdown),
/// or when the stdio line ends, everything is closed and the symlink and control socket are removed.
///
/// The emulator is started inside ``run()``, once the service group handles the signals: a SIGTERM
/// that comes just after the start still removes the symlink and restores a `--stdio` terminal.
public struct EmulatorService: Service {
    private let emulator: Emulator
    private let started: @Sendable ([SerialEndpointAddress]) -> Void

    /// Wraps an emulator (started or not); `started` is told where hosts find its modems.
    public init(emulator: Emulator, started: @escaping @Sendable ([SerialEndpointAddress]) -> Void = { _ in }) {
        self.emulator = emulator
        self.started = started
    }

    /// Starts the emulator if it is not running, runs until graceful shutdown (or the end of the
    /// stdio line), then shuts it down.
    public func run() async throws {
        started(try await emulator.start())
        await cancelWhenGracefulShutdown {
            await emulator.waitUntilLineGone()
        }
        await emulator.shutdown()
    }
}
