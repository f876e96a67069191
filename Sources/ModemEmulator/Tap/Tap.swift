#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import ModemProtocol
import NIOCore
import NIOPosix
import ServiceLifecycle

/// What `modem tap` runs: where the host's line is, and where the conversation goes.
public struct TapOptions: Sendable {
    /// The line offered to the host: `.pty(link:)` or `.listen(host:port:)`.
    public var host: SerialEndpointKind = .pty(link: nil)
    /// The trace file (docs/trace.md); `nil` records nothing.
    public var tracePath: String?
    /// Told each decoded record as it is made, on the tap's event loop (`--show`).
    public var observer: (@Sendable (TraceRecord) -> Void)?

    /// A PTY for the host, no trace.
    public init() {}
}

/// A tap between a host and a real module (issue 15 §3): it owns the module's serial device, offers
/// the host a line of its own (a PTY or a TCP port) and forwards every byte both ways unchanged, on
/// one event loop with no buffering beyond the channels' own, while a ``TraceWriter`` records the
/// conversation (bytes from the host as `host`, from the module as `module`).
///
/// A side is read only while the other side can take what it reads, so neither direction queues
/// without bound; while no host is attached the module is not read.
public final class Tap: Sendable {
    /// Where the host finds its line.
    public let address: SerialEndpointAddress
    private let moduleChannel: any Channel
    private let hostLine: HostLine
    private let relay: TapRelay
    private let gone: AsyncStream<Void>

    private init(
        address: SerialEndpointAddress, moduleChannel: any Channel, hostLine: HostLine, relay: TapRelay,
        gone: AsyncStream<Void>
    ) {
        self.address = address
        self.moduleChannel = moduleChannel
        self.hostLine = hostLine
        self.relay = relay
        self.gone = gone
    }

    /// Starts a tap on the module's serial device `descriptor` (open, in raw mode: `SerialPort.open`
    /// of ModemClient; ownership passes to the tap, also when this throws).
    public static func start(
        module descriptor: CInt, options: TapOptions,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) async throws -> Tap {
        let loop = group.next()
        let (gone, goneContinuation) = AsyncStream.makeStream(of: Void.self)
        let tracePath = options.tracePath
        let observer = options.observer
        let relay: TapRelay
        do {
            relay = try await loop.submit {
                let trace = tracePath != nil || observer != nil
                    ? try TraceWriter(path: tracePath, observer: observer.map { observer in { observer($0) } }) : nil
                return TapRelay(trace: trace) { goneContinuation.yield() }
            }.get()
        } catch let error as TraceWriter.OpenError {
            Glibc.close(descriptor)
            throw EmulatorError.cannotOpen(error.path, errno: error.errno)
        }
        let moduleChannel: any Channel
        do {
            moduleChannel = try await NIOPipeBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(relay.side(.module))
                    }
                }
                .takingOwnershipOfDescriptor(inputOutput: descriptor).get()
        } catch {
            Glibc.close(descriptor)
            throw error
        }
        let hostLine: HostLine
        do {
            hostLine = try await HostLine.open(options.host, on: loop, logger: logger) { channel in
                guard !relay.hasHost else { return false }
                try channel.pipeline.syncOperations.addHandler(relay.side(.host))
                return true
            }
        } catch {
            try? await moduleChannel.close()
            throw error
        }
        return Tap(
            address: hostLine.address, moduleChannel: moduleChannel, hostLine: hostLine, relay: relay, gone: gone)
    }

    /// Returns when the module's line closed (the device went away), or the task is cancelled.
    public func waitUntilModuleGone() async {
        for await _ in gone { return }
    }

    /// Closes the host's line (removing a `--link` symlink) and the module's device, and ends the trace.
    public func shutdown() async {
        await hostLine.close()
        try? await moduleChannel.close()
        let relay = self.relay
        try? await moduleChannel.eventLoop.submit { relay.finishTrace() }.get()
    }
}

/// Runs a ``Tap`` under swift-service-lifecycle: starts it once SIGINT/SIGTERM are handled, runs
/// until graceful shutdown or the module's line closing, then shuts it down (a SIGTERM just after the
/// start still removes the `--link` symlink).
public struct TapService: Service {
    private let start: @Sendable () async throws -> Tap
    private let started: @Sendable (SerialEndpointAddress) -> Void

    /// `start` starts the tap (``Tap/start(module:options:group:logger:)``); `started` is told where the
    /// host finds its line.
    public init(
        start: @escaping @Sendable () async throws -> Tap,
        started: @escaping @Sendable (SerialEndpointAddress) -> Void = { _ in }
    ) {
        self.start = start
        self.started = started
    }

    /// Starts the tap, runs until graceful shutdown or the module's line closing, then shuts it down.
    public func run() async throws {
        let tap = try await start()
        started(tap.address)
        await cancelWhenGracefulShutdown {
            await tap.waitUntilModuleGone()
        }
        await tap.shutdown()
    }
}
