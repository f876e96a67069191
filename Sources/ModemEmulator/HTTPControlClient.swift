import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The client side of the HTTP control API (`modem ctl --http URL`, tests): one control request
/// posted to `/api/control`, as the control socket takes it, and the reply.
public enum HTTPControlClient {
    /// What the server answered: the HTTP status and the body (one JSON object).
    public struct Answer: Sendable, Equatable {
        public var status: Int
        public var body: String
    }

    /// A base URL `http://HOST:PORT[/][?token=T]`, read into its parts.
    public struct Endpoint: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var token: String?

        /// The server at `host:port`, with `token` when it needs one.
        public init(host: String, port: Int, token: String? = nil) {
            self.host = host
            self.port = port
            self.token = token
        }

        /// Reads `url`; `nil` unless it is `http://HOST:PORT…` (IPv6 in brackets) or `HOST:PORT`.
        public init?(_ url: String) {
            var rest = Substring(url)
            if rest.hasPrefix("http://") { rest = rest.dropFirst(7) } else if rest.contains("://") { return nil }
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            let query = rest.split(separator: "?", maxSplits: 1).dropFirst().first
            guard let colon = authority.lastIndex(of: ":"),
                let port = Int(authority[authority.index(after: colon)...]), (1...65535).contains(port)
            else { return nil }
            var host = authority[..<colon]
            if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
            guard !host.isEmpty else { return nil }
            self.host = String(host)
            self.port = port
            token = query?.split(separator: "&").first { $0.hasPrefix("token=") }.map { String($0.dropFirst(6)) }
        }
    }

    /// Why a request got no answer.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Posts `request` to `/api/control` of `endpoint` (its token, or `token`) and returns the answer.
    public static func send(
        _ request: ControlRequest, to endpoint: Endpoint, token: String? = nil, timeout: Duration = .seconds(10)
    ) async throws(Failure) -> Answer {
        try await self.request(
            .POST, "/api/control", body: ControlCoding.encode(request), to: endpoint, token: token, timeout: timeout)
    }

    /// One request to the emulator's HTTP server (`GET /api/modems`, …) and its answer.
    public static func request(
        _ method: HTTPMethod, _ path: String, body: [UInt8] = [], to endpoint: Endpoint, token: String? = nil,
        timeout: Duration = .seconds(10)
    ) async throws(Failure) -> Answer {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(endpoint.host):\(endpoint.port)")
        if !body.isEmpty { headers.add(name: "Content-Type", value: "application/json") }
        headers.add(name: "Content-Length", value: "\(body.count)")
        headers.add(name: "Connection", value: "close")
        if let token = token ?? endpoint.token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: Answer.self)
        let address = "http://\(endpoint.host):\(endpoint.port)"
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(timeout.timeAmount)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(AnswerHandler(promise: promise))
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            promise.fail(error)
            throw Failure(description: "cannot reach the emulator's HTTP API at \(address): \(error); is modem emulate --http running?")
        }
        let timer = loop.scheduleTask(in: timeout.timeAmount) {
            promise.fail(Failure(description: "the emulator at \(address) did not answer within \(timeout)"))
        }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        do {
            return try await promise.futureResult.get()
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "the connection to \(address) failed before the answer came: \(error)")
        }
    }
}

/// Collects one response.
private final class AnswerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<HTTPControlClient.Answer>
    private var status = 0
    private var body: [UInt8] = []
    /// Longest body taken (a status reply is a few hundred bytes).
    private static let limit = 1 << 20

    init(promise: EventLoopPromise<HTTPControlClient.Answer>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body(let part):
            guard body.count + part.readableBytes <= Self.limit else {
                promise.fail(HTTPControlClient.Failure(description: "the answer is larger than \(Self.limit) bytes"))
                context.close(promise: nil)
                return
            }
            body.append(contentsOf: part.readableBytesView)
        case .end:
            promise.succeed(HTTPControlClient.Answer(status: status, body: String(decoding: body, as: UTF8.self)))
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
