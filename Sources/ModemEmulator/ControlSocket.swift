#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import NIOCore
import NIOPosix

/// The control socket (`--control PATH`): a unix socket, mode 0600, one JSON object per line each way.
///
/// Every buffer on it is bounded: a connection reads one request at a time and reads the next only
/// after the reply was written and the socket can take more, so a client that never reads its
/// replies stops itself (the kernel's buffers fill) instead of growing the emulator's memory. At most
/// ``maximumConnections`` clients are served at once.
public struct ControlSocket: Sendable {
    let path: String
    let channel: any Channel

    /// Where `modem emulate` opens its control socket and `modem ctl` looks for it when no path is
    /// given: `$MODEM_CONTROL`, else `$XDG_RUNTIME_DIR/modem.ctl`, else `/tmp/modem-UID.ctl`.
    public static func defaultPath(
        environment: [String: String] = ProcessInfo.processInfo.environment, userID: UInt32 = getuid()
    ) -> String {
        if let path = environment["MODEM_CONTROL"], !path.isEmpty { return path }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty { return "\(runtime)/modem.ctl" }
        return "/tmp/modem-\(userID).ctl"
    }

    /// Longest request line accepted.
    static let maximumLineLength = 64 * 1024
    /// Most control connections open at once; one more gets a one-line JSON refusal and is closed.
    static let maximumConnections = 64

    /// Binds the socket at `path`. The caller owns the path (``PathLock``): a socket file left
    /// there by an emulator that is gone is replaced; one that a process still listens on (an
    /// emulator from before path locks, or another program) is refused, naming that process.
    static func open(
        at path: String, dispatcher: ControlDispatcher, group: any EventLoopGroup, logger: Logger
    ) async throws -> ControlSocket {
        if let listener = listener(at: path) { throw EmulatorError.socketInUse(path: path, pid: listener) }
        let connections = ConnectionCount(limit: maximumConnections)
        // Created 0600 from the start (umask), and set again in case the umask was not honoured.
        let previous = umask(0o177)
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .childChannelOption(.autoRead, value: false)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelInitializer { child in
                    child.eventLoop.makeCompletedFuture {
                        let handler: any ChannelHandler =
                            connections.open()
                            ? ControlConnectionHandler(dispatcher: dispatcher, logger: logger) { connections.close() }
                            : ControlRefusalHandler(
                                reply: .failure(
                                    "too many control connections (\(maximumConnections)); close one and retry"))
                        try child.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            umask(previous)
        } catch {
            umask(previous)
            throw EmulatorError.cannotBind(path: path, reason: "\(error)")
        }
        chmod(path, 0o600)
        logger.info("control socket on \(path)")
        return ControlSocket(path: path, channel: channel)
    }

    /// Whether a process accepts connections on the unix socket at `path`: `nil` when none does,
    /// else `.some(pid)`, the pid being `nil` when the system does not say.
    static func listener(at path: String) -> Int32?? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        #if canImport(Glibc)
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { return nil }
        defer { Glibc.close(descriptor) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { return nil }
        #if os(Linux)
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        var credentials: (Int32, UInt32, UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        if getsockopt(descriptor, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0, credentials.0 > 0 {
            return .some(credentials.0)
        }
        #endif
        return .some(nil)
    }

    func close() async {
        try? await channel.close()
        unlink(path)
    }
}

/// How many control connections are open, shared by every event loop of the group.
private final class ConnectionCount: @unchecked Sendable {
    // @unchecked: `count` is only touched under `lock`.
    private let lock = NSLock()
    private var count = 0
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts a new connection, or returns false when `limit` are open.
    func open() -> Bool {
        lock.withLock {
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func close() {
        lock.withLock { count -= 1 }
    }
}

/// Serves one control connection: reads one request line at a time, answers it, and reads on only
/// when the reply is written and the socket is writable (the channel runs with `autoRead` off).
final class ControlConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let dispatcher: ControlDispatcher
    private let logger: Logger
    private let onRemoved: () -> Void
    /// Bytes read and not yet taken as a request; at most one read's worth past a line.
    private var pending: [UInt8] = []
    /// Where the next request starts in `pending` (lines before it are taken).
    private var head = 0
    /// A request is being carried out or its reply written.
    private var busy = false
    private var closed = false
    /// The client has shut its sending side: answer what is pending, then close.
    private var inputEnded = false

    init(dispatcher: ControlDispatcher, logger: Logger, onRemoved: @escaping () -> Void) {
        self.dispatcher = dispatcher
        self.logger = logger
        self.onRemoved = onRemoved
    }

    func channelActive(context: ChannelHandlerContext) {
        context.read()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending.append(contentsOf: unwrapInboundIn(data).readableBytesView)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        proceed(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        proceed(context: context)
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            inputEnded = true
            // A last request without its newline is still a request.
            if pending.count > head, pending.last != 0x0A { pending.append(0x0A) }
            proceed(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        pending = []
        head = 0
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closed = true
        onRemoved()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Starts the next request if one is complete, or asks for more bytes; does nothing while a
    /// request is in flight or the socket cannot take a reply.
    private func proceed(context: ChannelHandlerContext) {
        guard !busy, !closed, context.channel.isWritable else { return }
        while let newline = pending[head...].firstIndex(of: 0x0A) {
            var line = Array(pending[head..<newline])
            head = newline + 1
            if line.last == 0x0D { line.removeLast() }
            guard !line.isEmpty else { continue }
            answer(line, context: context)
            return
        }
        pending.removeFirst(head)
        head = 0
        if pending.count > ControlSocket.maximumLineLength {
            logger.warning("control request longer than \(ControlSocket.maximumLineLength) bytes; closing")
            closed = true
            context.close(promise: nil)
        } else if inputEnded {
            // Every request is answered.
            closed = true
            context.close(promise: nil)
        } else {
            context.read()
        }
    }

    private func answer(_ line: [UInt8], context: ChannelHandlerContext) {
        busy = true
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let dispatcher = self.dispatcher
        loop.makeFutureWithTask { await dispatcher.handle(line: line) }.whenSuccess { reply in
            let (handler, context) = bound.value
            guard !handler.closed else { return }
            let written = loop.makePromise(of: Void.self)
            context.writeAndFlush(NIOAny(ByteBuffer(bytes: reply)), promise: written)
            written.futureResult.whenComplete { result in
                let (handler, context) = bound.value
                handler.busy = false
                if case .failure = result {
                    context.close(promise: nil)
                } else {
                    handler.proceed(context: context)
                }
            }
        }
    }
}

/// Tells a control client it cannot be served (one JSON line), then closes its connection.
final class ControlRefusalHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let reply: ControlReply

    init(reply: ControlReply) {
        self.reply = reply
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        context.writeAndFlush(NIOAny(ByteBuffer(bytes: ControlCoding.encode(reply)))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
