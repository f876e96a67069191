import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import ModemEmulator
import NIOCore

/// The HTTP side of `modem emulate --http`: the live view's page, the JSON API with the control
/// socket's operations, live updates over WebSocket and `/metrics` (docs/http-api.md), on one port.
///
/// It reads the modems only through their ``ModemEmulator/LiveFeed``s and acts on them only through
/// the ``ModemEmulator/ControlDispatcher``, as the control socket does: nothing it serves waits on a
/// modem's serial line, and a modem never waits on it.
public struct LiveServer: Sendable {
    /// The modems, in `--count` order; each has a ``ModemEmulator/LiveFeed``.
    let modems: [VirtualModem]
    let feeds: [LiveFeed]
    let dispatcher: ControlDispatcher
    let options: LiveServerOptions
    let logger: Logger

    /// Serves `modems` (made with ``ModemEmulator/EmulatorOptions/liveView`` on) with `dispatcher`.
    public init(
        modems: [VirtualModem], dispatcher: ControlDispatcher, options: LiveServerOptions, logger: Logger
    ) {
        self.modems = modems
        self.feeds = modems.compactMap(\.live)
        precondition(feeds.count == modems.count, "the live view needs EmulatorOptions.liveView")
        self.dispatcher = dispatcher
        self.options = options
        self.logger = logger
    }

    /// The application to run (it is a swift-service-lifecycle `Service`); `running` is told the
    /// port bound once the server listens.
    public func application(running: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.middlewares.add(TokenMiddleware(token: options.token))
        let api = LiveAPI(feeds: feeds, dispatcher: dispatcher)
        api.addRoutes(to: router)
        LiveUpdates(feeds: feeds, dispatcher: dispatcher).addRoutes(to: router)
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: LiveMetrics.render(feeds))))
        }
        try StaticFiles.load().addRoutes(to: router)
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: router),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "modem"),
            onServerRunning: { channel in await running(channel.localAddress?.port ?? options.port) },
            logger: logger)
    }
}

/// Refuses every request without the token (when there is one) with 401.
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard let token else { return try await next(request, context) }
        let bearer = request.headers[.authorization].flatMap { header in
            header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : nil
        }
        let given = bearer ?? request.uri.queryParameters.get("token")
        guard given == token else {
            return JSONReply.error(
                .unauthorized,
                "missing or wrong token: pass it as 'Authorization: Bearer TOKEN' or '?token=TOKEN' (modem emulate printed it)"
            )
        }
        return try await next(request, context)
    }
}

/// JSON answers.
enum JSONReply {
    static func encode(_ value: some Encodable) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = (try? encoder.encode(value)) ?? Data(#"{"ok":false,"error":"encoding failed"}"#.utf8)
        return ByteBuffer(bytes: bytes)
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: encode(value)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        response(ControlReply.failure(message), status: status)
    }
}
