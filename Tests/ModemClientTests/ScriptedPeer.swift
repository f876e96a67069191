import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TestSupport
import Testing

@testable import ModemClient

/// What the scripted peer does with one command line.
struct ScriptStep: Sendable {
    /// Bytes written at once; empty for silence.
    var reply: [UInt8]
    /// After the reply, read this many raw bytes (the data of `AT+CIPSEND`) ...
    var readData = 0
    /// ... and then write these.
    var afterData: [UInt8] = []

    static func text(_ text: String) -> ScriptStep { ScriptStep(reply: Array(text.utf8)) }
    static let silence = ScriptStep(reply: [])
}

/// A module stand-in on a real loopback socket: it answers each command line (ended by CR) with
/// what `script` returns, and can push unsolicited bytes.
final class ScriptedPeer: TestServer {
    let port: Int
    private let server: any Channel
    private let connection: EventLoopFuture<any Channel>
    /// The client's connection once it came.
    private let accepted = NIOLockedValueBox<(any Channel)?>(nil)

    private init(port: Int, server: any Channel, connection: EventLoopFuture<any Channel>) {
        self.port = port
        self.server = server
        self.connection = connection
        connection.whenSuccess { [accepted] channel in accepted.withLockedValue { $0 = channel } }
    }

    static func start(_ script: @escaping @Sendable (String) -> ScriptStep) async throws -> ScriptedPeer {
        let group = MultiThreadedEventLoopGroup.singleton
        let loop = group.next()
        let connected = loop.makePromise(of: (any Channel).self)
        let server = try await ServerBootstrap(group: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PeerHandler(script: script))
                    connected.succeed(channel)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ScriptedPeer(port: server.localAddress!.port!, server: server, connection: connected.futureResult)
    }

    /// Writes bytes to the client as if the module sent them on its own.
    func push(_ text: String) async throws {
        try await push(Array(text.utf8))
    }

    func push(_ bytes: [UInt8]) async throws {
        let channel = try await connection.get()
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
    }

    /// The command lines received so far.
    func receivedLines() async throws -> [String] {
        let channel = try await connection.get()
        return try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: PeerHandler.self).lines
        }.get()
    }

    /// The data bytes received in data phases so far.
    func receivedData() async throws -> [UInt8] {
        let channel = try await connection.get()
        return try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: PeerHandler.self).data
        }.get()
    }

    /// Closes the client's connection, as a module that is unplugged.
    func dropConnection() async throws {
        try await connection.get().close()
    }

    /// Closes the listening socket and the client's connection, if one was ever made (waiting for
    /// one that never came would never end).
    func stop() async {
        try? await server.close()
        if let channel = accepted.withLockedValue({ $0 }) { try? await channel.close() }
    }

    func client() async throws -> ModemClient {
        try await ModemClient.open(.tcp(host: "127.0.0.1", port: port))
    }
}

private final class PeerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let script: @Sendable (String) -> ScriptStep
    var buffer: [UInt8] = []
    var lines: [String] = []
    var data: [UInt8] = []
    var pendingData = 0
    var afterData: [UInt8] = []

    init(script: @escaping @Sendable (String) -> ScriptStep) {
        self.script = script
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        for byte in input.readBytes(length: input.readableBytes) ?? [] {
            if pendingData > 0 {
                self.data.append(byte)
                pendingData -= 1
                if pendingData == 0 { write(afterData, context: context) }
                continue
            }
            if byte == 0x0D {
                let line = String(decoding: buffer, as: UTF8.self)
                buffer.removeAll()
                lines.append(line)
                let step = script(line)
                write(step.reply, context: context)
                pendingData = step.readData
                afterData = step.afterData
            } else if byte != 0x0A {
                buffer.append(byte)
            }
        }
    }

    private func write(_ bytes: [UInt8], context: ChannelHandlerContext) {
        guard !bytes.isEmpty else { return }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }
}

struct DeadlineExceeded: Error {}

/// Runs `body`, failing with ``DeadlineExceeded`` if it takes longer than `seconds`, even when
/// `body` waits on something that ignores cancellation.
func withDeadline<T: Sendable>(
    _ seconds: Double, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let once = Once<T>()
    return try await withCheckedThrowingContinuation { continuation in
        let work = Task {
            do { await once.resume(continuation, with: .success(try await body())) } catch {
                await once.resume(continuation, with: .failure(error))
            }
        }
        // The deadline is a timer on an event loop, cancelled as soon as the work is done.
        let deadline = MultiThreadedEventLoopGroup.singleton.next().scheduleTask(
            in: .milliseconds(Int64(seconds * 1000))
        ) {
            Task {
                await once.resume(continuation, with: .failure(DeadlineExceeded()))
                work.cancel()
            }
        }
        Task {
            _ = await work.result
            deadline.cancel()
        }
    }
}

/// Resumes a continuation once, whichever of the racers comes first.
actor Once<T: Sendable> {
    private var done = false
    func resume(_ continuation: CheckedContinuation<T, any Error>, with result: Result<T, any Error>) {
        guard !done else { return }
        done = true
        continuation.resume(with: result)
    }
}

/// The first element of `stream` that `predicate` accepts, within `seconds`.
func first<Element: Sendable>(
    _ stream: AsyncStream<Element>, within seconds: Double = 5, where predicate: @escaping @Sendable (Element) -> Bool
) async throws -> Element? {
    try await withDeadline(seconds) {
        for await element in stream where predicate(element) { return element }
        return nil
    }
}

/// CRLF-framed lines as a SIM800 writes them: `\r\n<line>\r\n` each.
func framed(_ lines: String...) -> String {
    lines.map { "\r\n\($0)\r\n" }.joined()
}
