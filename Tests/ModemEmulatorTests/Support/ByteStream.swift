import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A waiting read ran out of time; carries what had arrived, for the failure message.
struct StreamTimeout: Error, CustomStringConvertible {
    let waitingFor: String
    let buffered: [UInt8]

    var description: String {
        let text = String(decoding: buffered.suffix(600), as: UTF8.self)
            .replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
        return "timed out waiting for \(waitingFor); last buffered bytes: \"\(text)\""
    }
}

/// The stream ended while a read waited.
struct StreamClosed: Error {}

/// Bytes from one channel (a host's end of the PTY, a TCP connection), read with deadlines.
///
/// Everything that arrives is kept until a read consumes it; a read names what it waits for as
/// a parser over the buffered bytes and fails at its deadline instead of sleeping.
final class ByteStream: @unchecked Sendable {
    // @unchecked: state is touched only on `channel.eventLoop`.
    typealias Parser<T> = @Sendable (ArraySlice<UInt8>) -> (consumed: Int, value: T)?

    private(set) var channel: (any Channel)!
    private var buffer: [UInt8] = []
    private var head = 0
    private var closed = false
    private var waiter: (() -> Void)?

    fileprivate init() {}

    /// The host's end of a PTY: opens `path` like a real host (raw mode, no controlling tty).
    static func openTerminal(_ path: String) async throws -> ByteStream {
        let fd = try openRawTerminal(path)
        let stream = ByteStream()
        stream.channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(StreamHandler(stream: stream))
                }
            }
            .takingOwnershipOfDescriptor(inputOutput: fd).get()
        return stream
    }

    /// A TCP connection.
    static func connect(host: String = "127.0.0.1", port: Int) async throws -> ByteStream {
        let stream = ByteStream()
        stream.channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(StreamHandler(stream: stream))
                }
            }
            .connect(host: host, port: port).get()
        return stream
    }

    /// The read end of a pipe (a child process's stdout).
    static func reading(descriptor: CInt) async throws -> ByteStream {
        let stream = ByteStream()
        stream.channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(StreamHandler(stream: stream))
                }
            }
            .takingOwnershipOfDescriptor(input: descriptor).get()
        return stream
    }

    /// Wraps an accepted channel (test servers).
    static func adopting(_ channel: any Channel) throws -> ByteStream {
        let stream = ByteStream()
        stream.channel = channel
        try channel.pipeline.syncOperations.addHandler(StreamHandler(stream: stream))
        return stream
    }

    func write(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }

    func close() async {
        try? await channel.close()
    }

    /// Lets `duration` pass on the stream's event loop before the caller writes on: shapes the
    /// timing of what the host writes (a driver that writes a command in pieces), it does not wait
    /// for anything to happen.
    func pause(for duration: Duration) async throws {
        let nanoseconds = Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        try await channel.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) {}.futureResult.get()
    }

    /// Waits until `parser` finds its value in the buffered bytes, consumes what it used.
    func read<T: Sendable>(
        _ what: @autoclosure () -> String, within timeout: Duration = .seconds(10), _ parser: @escaping Parser<T>
    ) async throws -> T {
        let loop = channel.eventLoop
        let promise = loop.makePromise(of: T.self)
        let description = what()
        loop.execute {
            let deadline = loop.scheduleTask(in: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
                + timeout.components.attoseconds / 1_000_000_000)) {
                self.waiter = nil
                promise.fail(StreamTimeout(waitingFor: description, buffered: Array(self.buffer[self.head...])))
            }
            let attempt = {
                if let (consumed, value) = parser(self.buffer[self.head...]) {
                    self.head += consumed
                    self.compact()
                    self.waiter = nil
                    deadline.cancel()
                    promise.succeed(value)
                } else if self.closed {
                    self.waiter = nil
                    deadline.cancel()
                    promise.fail(StreamClosed())
                }
            }
            self.waiter = attempt
            attempt()
        }
        return try await promise.futureResult.get()
    }

    /// Everything up to and including `pattern`.
    func read(until pattern: String, within timeout: Duration = .seconds(10)) async throws -> String {
        let needle = Array(pattern.utf8)
        let bytes = try await read("'\(pattern)'", within: timeout) { slice -> (consumed: Int, value: [UInt8])? in
            guard let end = slice.firstRange(of: needle)?.upperBound else { return nil }
            return (end - slice.startIndex, Array(slice[..<end]))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Exactly `count` bytes.
    func read(count: Int, within timeout: Duration = .seconds(10)) async throws -> [UInt8] {
        try await read("\(count) bytes", within: timeout) { slice in
            slice.count >= count ? (count, Array(slice.prefix(count))) : nil
        }
    }

    /// Waits for the peer to close.
    func waitForClose(within timeout: Duration = .seconds(10)) async throws {
        do {
            _ = try await read("the close", within: timeout) { _ -> (consumed: Int, value: Bool)? in nil }
        } catch is StreamClosed {
            return
        }
    }

    fileprivate func received(_ bytes: ByteBuffer) {
        buffer.append(contentsOf: bytes.readableBytesView)
        waiter?()
    }

    fileprivate func ended() {
        closed = true
        waiter?()
    }

    private func compact() {
        if head > 65536, head * 2 > buffer.count {
            buffer.removeFirst(head)
            head = 0
        }
    }
}

private final class StreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let stream: ByteStream

    init(stream: ByteStream) {
        self.stream = stream
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        stream.received(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        stream.ended()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { stream.ended() }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Opens a serial device as a host does: non-blocking, raw mode, not as the controlling terminal.
func openRawTerminal(_ path: String) throws -> CInt {
    let fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { throw StreamClosed() }
    var attributes = termios()
    tcgetattr(fd, &attributes)
    cfmakeraw(&attributes)
    tcsetattr(fd, TCSANOW, &attributes)
    return fd
}
