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
struct ControlSocket: Sendable {
    let path: String
    let channel: any Channel

    /// Longest request line accepted.
    static let maximumLineLength = 64 * 1024

    static func open(
        at path: String, dispatcher: ControlDispatcher, group: any EventLoopGroup, logger: Logger
    ) async throws -> ControlSocket {
        // Created 0600 from the start (umask), and set again in case the umask was not honoured.
        let previous = umask(0o177)
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .childChannelInitializer { child in
                    child.eventLoop.makeCompletedFuture {
                        try child.pipeline.syncOperations.addHandler(
                            ControlConnectionHandler(dispatcher: dispatcher, logger: logger))
                    }
                }
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            umask(previous)
        } catch {
            umask(previous)
            throw error
        }
        chmod(path, 0o600)
        logger.info("control socket on \(path)")
        return ControlSocket(path: path, channel: channel)
    }

    func close() async {
        try? await channel.close()
        unlink(path)
    }
}

/// Reads request lines, answers each in order.
final class ControlConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let dispatcher: ControlDispatcher
    private let logger: Logger
    private var pending: [UInt8] = []
    private var previous: EventLoopFuture<Void>?

    init(dispatcher: ControlDispatcher, logger: Logger) {
        self.dispatcher = dispatcher
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending.append(contentsOf: unwrapInboundIn(data).readableBytesView)
        while let newline = pending.firstIndex(of: 0x0A) {
            var line = Array(pending[..<newline])
            pending.removeSubrange(...newline)
            if line.last == 0x0D { line.removeLast() }
            guard !line.isEmpty else { continue }
            answer(line, context: context)
        }
        if pending.count > ControlSocket.maximumLineLength {
            logger.warning("control request longer than \(ControlSocket.maximumLineLength) bytes; closing")
            context.close(promise: nil)
        }
    }

    private func answer(_ line: [UInt8], context: ChannelHandlerContext) {
        let loop = context.eventLoop
        let boundContext = NIOLoopBound(context, eventLoop: loop)
        let dispatcher = self.dispatcher
        let start = previous ?? loop.makeSucceededVoidFuture()
        previous = start.flatMap {
            loop.makeFutureWithTask { await dispatcher.handle(line: line) }
        }.map { reply in
            let context = boundContext.value
            context.writeAndFlush(NIOAny(ByteBuffer(bytes: reply)), promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// The client side of the control socket (`modem ctl`, tests).
public enum ControlClient {
    /// Sends one request and returns the reply line (JSON, without its newline).
    public static func send(
        _ request: ControlRequest, to path: String, timeout: Duration = .seconds(10)
    ) async throws -> String {
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: [UInt8].self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ReplyLineHandler(promise: promise))
                }
            }
            .connect(unixDomainSocketPath: path).get()
        let timer = channel.eventLoop.scheduleTask(in: timeout.timeAmount) {
            promise.fail(ChannelError.connectTimeout(timeout.timeAmount))
        }
        try await channel.writeAndFlush(ByteBuffer(bytes: ControlCoding.encode(request))).get()
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        let reply = try await promise.futureResult.get()
        return String(decoding: reply, as: UTF8.self)
    }

    /// Sends one request and decodes the reply.
    public static func request(
        _ request: ControlRequest, to path: String, timeout: Duration = .seconds(10)
    ) async throws -> ControlReply {
        let line = try await send(request, to: path, timeout: timeout)
        return try JSONDecoder().decode(ControlReply.self, from: Data(line.utf8))
    }
}

/// Completes a promise with the first line received.
private final class ReplyLineHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let promise: EventLoopPromise<[UInt8]>
    private var buffer: [UInt8] = []

    init(promise: EventLoopPromise<[UInt8]>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        buffer.append(contentsOf: unwrapInboundIn(data).readableBytesView)
        if let newline = buffer.firstIndex(of: 0x0A) {
            promise.succeed(Array(buffer[..<newline]))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}
