import NIOCore
import NIOPosix
import TestSupport

/// A loopback TCP server for links to connect to. It echoes what it receives (unless told not to),
/// keeps every accepted connection so a test can write to it or close it, and on a peer's FIN
/// either closes too (`closeOnFIN`) or keeps its side open, which holds a closing link in `CLOSING`.
final class TestTCPServer: TestServer, @unchecked Sendable {
    // @unchecked: `connections` and `waiters` are touched only on `loop`.
    let port: Int
    private let channel: any Channel
    private let loop: any EventLoop
    private var connections: [any Channel] = []
    private var waiters: [(count: Int, promise: EventLoopPromise<any Channel>)] = []

    private init(channel: any Channel, loop: any EventLoop) {
        self.channel = channel
        self.loop = loop
        self.port = channel.localAddress!.port!
    }

    static func start(echo: Bool = true, closeOnFIN: Bool = true) async throws -> TestTCPServer {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let box = ServerBox()
        let channel = try await ServerBootstrap(group: loop, childGroup: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(EchoHandler(echo: echo, closeOnFIN: closeOnFIN))
                    box.server?.accepted(child)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = TestTCPServer(channel: channel, loop: loop)
        box.server = server
        return server
    }

    private func accepted(_ child: any Channel) {
        connections.append(child)
        let ready = waiters.filter { $0.count <= connections.count }
        waiters.removeAll { $0.count <= connections.count }
        for waiter in ready { waiter.promise.succeed(connections[waiter.count - 1]) }
    }

    /// The `n`th accepted connection (1-based), once it exists.
    func connection(_ n: Int = 1, within timeout: Duration = .seconds(10)) async throws -> any Channel {
        let promise = loop.makePromise(of: (any Channel).self)
        loop.execute {
            if self.connections.count >= n {
                promise.succeed(self.connections[n - 1])
            } else {
                self.waiters.append((n, promise))
                self.loop.scheduleTask(in: .seconds(timeout.components.seconds)) {
                    promise.fail(StreamTimeout(waitingFor: "connection \(n) to the test server", buffered: []))
                }
            }
        }
        return try await promise.futureResult.get()
    }

    func stop() async {
        try? await channel.close()
        let all = try? await loop.submit { self.connections }.get()
        for connection in all ?? [] { try? await connection.close() }
    }
}

private final class ServerBox: @unchecked Sendable {
    var server: TestTCPServer?
}

private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let echo: Bool
    let closeOnFIN: Bool

    init(echo: Bool, closeOnFIN: Bool) {
        self.echo = echo
        self.closeOnFIN = closeOnFIN
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if echo { context.writeAndFlush(data, promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event, closeOnFIN { context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// A loopback UDP server that sends every datagram back to where it came from.
final class TestUDPEchoServer: TestServer {
    let port: Int
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
        self.port = channel.localAddress!.port!
    }

    static func start() async throws -> TestUDPEchoServer {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramEchoHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TestUDPEchoServer(channel: channel)
    }

    func stop() async {
        try? await channel.close()
    }
}

private final class DatagramEchoHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(data, promise: nil)
    }
}
