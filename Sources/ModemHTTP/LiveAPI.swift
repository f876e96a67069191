import Foundation
import Hummingbird
import HummingbirdWebSocket
import ModemEmulator
import ModemProtocol

/// The JSON endpoints (docs/http-api.md): the fleet, one modem's status, log and timeline, and the
/// control socket's commands.
struct LiveAPI: Sendable {
    let feeds: [LiveFeed]
    let dispatcher: ControlDispatcher

    /// Largest request body read (a scenario file fits; anything larger gets 413).
    static let bodyLimit = 1 << 20
    /// Most rows one `GET /api/modems` returns.
    static let pageLimit = 1000

    func addRoutes(to router: Router<BasicWebSocketRequestContext>) {
        router.get("api/modems") { request, _ in fleet(request) }
        router.get("api/modems/:modem") { _, context in
            guard let index = modem(context) else { return noSuchModem(context) }
            return reply(await dispatcher.handle(ControlRequest(command: "status", modem: index)))
        }
        router.get("api/modems/:modem/log") { request, context in
            guard let index = modem(context) else { return noSuchModem(context) }
            let after = max(0, request.uri.queryParameters.get("after", as: Int.self) ?? 0)
            return JSONReply.response(LogPage(feeds[index].log(after: after)))
        }
        router.get("api/modems/:modem/timeline") { _, context in
            guard let index = modem(context) else { return noSuchModem(context) }
            return JSONReply.response(["timeline": feeds[index].timeline.map(TimelineJSON.init)])
        }
        router.post("api/modems/:modem/:command") { request, context in
            guard let index = modem(context) else { return noSuchModem(context) }
            let command = context.parameters.get("command") ?? ""
            guard ControlDispatcher.commands.contains(command) else {
                return JSONReply.error(
                    .notFound,
                    "unknown command '\(command)'; known: \(ControlDispatcher.commands.joined(separator: ", "))")
            }
            let arguments: [String]
            do {
                arguments = try Self.arguments(command: command, body: try await request.body.collect(upTo: Self.bodyLimit))
            } catch let error as BodyError {
                return JSONReply.error(.badRequest, error.message)
            } catch {
                return JSONReply.error(.contentTooLarge, "the body is larger than \(Self.bodyLimit) bytes")
            }
            return reply(await dispatcher.handle(ControlRequest(command: command, arguments: arguments, modem: index)))
        }
        router.post("api/control") { request, _ in
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: Self.bodyLimit)
            } catch {
                return JSONReply.error(.contentTooLarge, "the body is larger than \(Self.bodyLimit) bytes")
            }
            guard let control = try? JSONDecoder().decode(ControlRequest.self, from: Data(body.readableBytesView)) else {
                return JSONReply.error(
                    .badRequest, #"not a control request: send {"command":"…","arguments":["…"],"modem":0}"#)
            }
            guard dispatcher.count > (control.modem ?? 0), (control.modem ?? 0) >= 0 else {
                return JSONReply.error(.notFound, "no modem \(control.modem ?? 0): there are \(dispatcher.count)")
            }
            return reply(await dispatcher.handle(control))
        }
    }

    /// The modem index in the path, when there is such a modem.
    private func modem(_ context: BasicWebSocketRequestContext) -> Int? {
        guard let index = context.parameters.get("modem", as: Int.self), feeds.indices.contains(index) else { return nil }
        return index
    }

    private func noSuchModem(_ context: BasicWebSocketRequestContext) -> Response {
        let given = context.parameters.get("modem") ?? ""
        return JSONReply.error(.notFound, "no modem '\(given)': modems are numbered 0 to \(feeds.count - 1)")
    }

    /// 200 for a command carried out, 400 for one refused (usage, a link with no socket, …).
    private func reply(_ reply: ControlReply) -> Response {
        JSONReply.response(reply, status: reply.ok ? .ok : .badRequest)
    }

    private func fleet(_ request: Request) -> Response {
        let query = request.uri.queryParameters
        let offset = max(0, query.get("offset", as: Int.self) ?? 0)
        let limit = min(Self.pageLimit, max(0, query.get("limit", as: Int.self) ?? 100))
        var rows = feeds.map(\.row)
        if let state = query.get("state") { rows = rows.filter { $0.state == state } }
        switch query.get("sort") ?? "modem" {
        case "state": rows.sort { ($0.state, $0.modem) < ($1.state, $1.modem) }
        case "bytesUp": rows.sort { ($0.bytesUp, -$0.modem) > ($1.bytesUp, -$1.modem) }
        case "bytesDown": rows.sort { ($0.bytesDown, -$0.modem) > ($1.bytesDown, -$1.modem) }
        case "lastActivity": rows.sort { ($0.lastActivity ?? -1, -$0.modem) > ($1.lastActivity ?? -1, -$1.modem) }
        case "modem": break
        case let other:
            return JSONReply.error(
                .badRequest, "unknown sort '\(other)': one of modem, state, bytesUp, bytesDown, lastActivity")
        }
        let page = Array(rows.dropFirst(offset).prefix(limit))
        return JSONReply.response(FleetPage(count: rows.count, offset: offset, modems: page))
    }

    struct BodyError: Error {
        let message: String
    }

    /// A command's arguments from its body: none, `{"arguments":[…]}`, or for `scenario` the
    /// scenario document itself.
    static func arguments(command: String, body: ByteBuffer) throws(BodyError) -> [String] {
        let bytes = Data(body.readableBytesView)
        guard bytes.contains(where: { !$0.isWhitespace }) else { return [] }
        guard let object = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any] else {
            throw BodyError(message: #"the body must be a JSON object: {"arguments":["…"]}"#)
        }
        if command == "scenario", object["events"] != nil {
            return [String(decoding: bytes, as: UTF8.self)]
        }
        guard object.keys.allSatisfy({ $0 == "arguments" }) else {
            throw BodyError(message: #"unknown key in the body: only "arguments" is read"#)
        }
        guard let value = object["arguments"] else { return [] }
        guard let arguments = value as? [Any] else {
            throw BodyError(message: #""arguments" must be an array of strings, e.g. ["0"]"#)
        }
        let strings = arguments.compactMap { $0 as? String }
        guard strings.count == arguments.count else {
            throw BodyError(message: #""arguments" must be an array of strings, e.g. ["0"]"#)
        }
        return strings
    }
}

extension UInt8 {
    fileprivate var isWhitespace: Bool { self == 0x20 || self == 0x0A || self == 0x0D || self == 0x09 }
}

/// `GET /api/modems`.
struct FleetPage: Encodable {
    let count: Int
    let offset: Int
    let modems: [FleetRow]
}

/// A log record as JSON: the trace record's keys and its sequence number.
struct RecordJSON: Encodable {
    let live: LiveRecord

    enum CodingKeys: String, CodingKey {
        case seq
    }

    func encode(to encoder: any Encoder) throws {
        try live.record.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(live.sequence, forKey: .seq)
    }
}

/// `GET /api/modems/{i}/log`.
struct LogPage: Encodable {
    let next: Int
    let skipped: Int
    let records: [RecordJSON]

    init(_ log: LiveLog) {
        next = log.next
        skipped = log.skipped
        records = log.records.map(RecordJSON.init)
    }
}

/// A timeline entry as JSON: `t` (µs), the `STATE:` word, and each link's state in multi mode.
struct TimelineJSON: Encodable {
    let t: Int64
    let state: String
    let links: [String]

    init(_ entry: TimelineEntry) {
        t = entry.time
        state = entry.status.stateWord
        links = entry.status.linkStateWords
    }
}
