#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NIOCore
import NIOPosix

/// The client side of the control socket (`modem ctl`, tests).
///
/// Every path completes its reply promise: a refused or failed connect, a write error, an early
/// close and the timeout each end the call with a ``ControlClientError``.
public enum ControlClient {
    /// Sends one request and returns the reply line (JSON, without its newline).
    public static func send(
        _ request: ControlRequest, to path: String, timeout: Duration = .seconds(10)
    ) async throws(ControlClientError) -> String {
        let group = MultiThreadedEventLoopGroup.singleton
        let loop = group.next()
        let promise = loop.makePromise(of: [UInt8].self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ReplyLineHandler(promise: promise))
                    }
                }
                .connect(unixDomainSocketPath: path).get()
        } catch {
            let failure = ControlClientError(connecting: path, error)
            promise.fail(failure)
            throw failure
        }
        let timer = loop.scheduleTask(in: timeout.timeAmount) {
            promise.fail(ControlClientError.noReply(path: path, timeout: timeout))
        }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        channel.writeAndFlush(ByteBuffer(bytes: ControlCoding.encode(request))).whenFailure { error in
            promise.fail(ControlClientError.connectionLost(path: path, reason: "\(error)"))
        }
        do {
            let reply = try await promise.futureResult.get()
            return String(decoding: reply, as: UTF8.self)
        } catch let error as ControlClientError {
            throw error
        } catch {
            throw .connectionLost(path: path, reason: "\(error)")
        }
    }

    /// Sends one request and decodes the reply.
    public static func request(
        _ request: ControlRequest, to path: String, timeout: Duration = .seconds(10)
    ) async throws(ControlClientError) -> ControlReply {
        let line = try await send(request, to: path, timeout: timeout)
        do {
            return try JSONDecoder().decode(ControlReply.self, from: Data(line.utf8))
        } catch {
            throw .badReply(path: path, reply: line)
        }
    }
}

/// Why a control request got no reply.
public enum ControlClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing listens at the path (no socket, or one left by an emulator that is gone).
    case notRunning(path: String)
    /// The socket is there but this user may not use it (it is mode 0600).
    case permissionDenied(path: String)
    /// The emulator took the request but did not answer in time.
    case noReply(path: String, timeout: Duration)
    /// The connection failed or closed before the reply came.
    case connectionLost(path: String, reason: String)
    /// The reply was not a control reply object.
    case badReply(path: String, reply: String)

    init(connecting path: String, _ error: any Error) {
        switch (error as? IOError)?.errnoCode {
        case ENOENT, ECONNREFUSED, ENOTSOCK: self = .notRunning(path: path)
        case EACCES, EPERM: self = .permissionDenied(path: path)
        default: self = .connectionLost(path: path, reason: "\(error)")
        }
    }

    public var description: String {
        switch self {
        case .notRunning(let path):
            "cannot reach the emulator at \(path): nothing listens there; is modem emulate running (with --control \(path) unless that is its default)?"
        case .permissionDenied(let path):
            "cannot use the control socket \(path): permission denied (it belongs to the user who started the emulator)"
        case .noReply(let path, let timeout):
            "the emulator at \(path) did not answer within \(timeout); is it stopped (SIGSTOP) or overloaded?"
        case .connectionLost(let path, let reason):
            "the connection to the emulator at \(path) failed before it answered: \(reason)"
        case .badReply(let path, let reply):
            "the emulator at \(path) answered with something that is not a control reply: \(reply.prefix(200))"
        }
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
