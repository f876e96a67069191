import Foundation
import Logging
import ModemEmulator
import ModemHTTP
import NIOHTTP1
import ServiceLifecycle
import TestSupport
import Testing

/// An emulator with `liveView` on and its HTTP server on a free loopback port, both in this process.
struct LiveFixture: TestServer {
    let emulator: Emulator
    let endpoint: HTTPControlClient.Endpoint
    let group: ServiceGroup
    let running: Task<Void, any Error>

    static func start(count: Int = 1, token: String? = nil) async throws -> LiveFixture {
        let logger = Logger(label: "live-test") { _ in SwiftLogNoOpLogHandler() }
        var options = EmulatorOptions()
        options.serial = .listen(host: "127.0.0.1", port: 0)
        options.count = count
        options.liveView = true
        options.modem.modem.echo = false
        let emulator = try Emulator(options: options, logger: logger)
        try await emulator.start()
        let server = LiveServer(
            modems: emulator.modems, dispatcher: emulator.dispatcher,
            options: LiveServerOptions(port: 0, token: token), logger: logger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = try server.application { continuation.yield($0) }
        let group = ServiceGroup(services: [application], logger: logger)
        let running = Task { try await group.run() }
        var port = 0
        for await bound in ports {
            port = bound
            break
        }
        return LiveFixture(
            emulator: emulator, endpoint: HTTPControlClient.Endpoint("127.0.0.1:\(port)")!, group: group,
            running: running)
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        await emulator.shutdown()
    }

    /// A request and its answer, the body decoded as a JSON object.
    func call(
        _ method: HTTPMethod, _ path: String, body: String = "", token: String? = nil
    ) async throws -> (status: Int, json: [String: Any], body: String) {
        let answer = try await HTTPControlClient.request(method, path, body: Array(body.utf8), to: endpoint, token: token)
        let json = (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [String: Any] ?? [:]
        return (answer.status, json, answer.body)
    }
}

@Suite(.timeLimit(.minutes(1)))
struct LiveServerTests {
    @Test("GET /api/modems/{i} is `modem ctl status`; an unknown modem is 404 with a reason")
    func status() async throws {
        try await withServer(try await LiveFixture.start(count: 2)) { live in
            let reply = try await live.call(.GET, "/api/modems/1")
            #expect(reply.status == 200)
            let status = try #require(reply.json["status"] as? [String: Any])
            #expect(status["modem"] as? Int == 1)
            #expect((status["connection"] as? [String: Any])?["state"] as? String == "IP INITIAL")
            for path in ["/api/modems/2", "/api/modems/-1", "/api/modems/x", "/api/modems/2/log"] {
                let missing = try await live.call(.GET, path)
                #expect(missing.status == 404, "\(path)")
                #expect(missing.json["ok"] as? Bool == false, "\(path)")
            }
        }
    }

    @Test("POST a command: carried out (200), refused with its usage (400), unknown (404), bad bodies (400)")
    func commands() async throws {
        try await withServer(try await LiveFixture.start()) { live in
            let drop = try await live.call(.POST, "/api/modems/0/pdp-deact")
            #expect(drop.status == 200 && drop.json["ok"] as? Bool == true)
            let network = try await live.call(.POST, "/api/modems/0/network", body: #"{"arguments":["preset=gprs"]}"#)
            #expect(network.status == 200)
            #expect((network.json["network"] as? String)?.hasPrefix("gprs") == true, "\(network.body)")
            let noLink = try await live.call(.POST, "/api/modems/0/remote-close", body: #"{"arguments":["0"]}"#)
            #expect(noLink.status == 400 && (noLink.json["error"] as? String)?.contains("link 0") == true)
            let usage = try await live.call(.POST, "/api/modems/0/signal", body: #"{"arguments":["40"]}"#)
            #expect(usage.status == 400 && (usage.json["error"] as? String)?.hasPrefix("usage:") == true)
            #expect(try await live.call(.POST, "/api/modems/0/explode").status == 404)
            for body in ["{", "[1]", #"{"arguments":[1]}"#, #"{"argument":["0"]}"#, "\u{0}"] {
                let bad = try await live.call(.POST, "/api/modems/0/signal", body: body)
                #expect(bad.status == 400, "\(body)")
                #expect(bad.json["ok"] as? Bool == false, "\(body)")
            }
            let big = try await live.call(.POST, "/api/modems/0/noise", body: String(repeating: " ", count: (1 << 20) + 1))
            #expect(big.status == 413)
            // The modem is as it was, and still answers.
            let after = try await live.call(.GET, "/api/modems/0")
            #expect((after.json["status"] as? [String: Any])?["network"] as? String == network.json["network"] as? String)
        }
    }

    @Test("a scenario is taken as arguments or as the document itself, and a bad one is refused")
    func scenario() async throws {
        try await withServer(try await LiveFixture.start()) { live in
            let document = #"{"events":[{"at":"0ms","do":"signal","rssi":5}]}"#
            #expect(try await live.call(.POST, "/api/modems/0/scenario", body: document).status == 200)
            let wrapped = try JSONSerialization.data(withJSONObject: ["arguments": [document]])
            #expect(try await live.call(.POST, "/api/modems/0/scenario", body: String(decoding: wrapped, as: UTF8.self)).status == 200)
            let bad = try await live.call(.POST, "/api/modems/0/scenario", body: #"{"events":[{"at":"soon"}]}"#)
            #expect(bad.status == 400 && (bad.json["error"] as? String)?.contains("scenario rejected") == true)
        }
    }

    @Test("POST /api/control takes the control socket's request as it is")
    func control() async throws {
        try await withServer(try await LiveFixture.start(count: 2)) { live in
            let answer = try await HTTPControlClient.send(ControlRequest(command: "status", modem: 1), to: live.endpoint)
            let reply = try JSONDecoder().decode(ControlReply.self, from: Data(answer.body.utf8))
            #expect(answer.status == 200 && reply.status?.modem == 1)
            #expect(try await live.call(.POST, "/api/control", body: #"{"command":"status","modem":5}"#).status == 404)
            #expect(try await live.call(.POST, "/api/control", body: #"{"modem":0}"#).status == 400)
            #expect(try await live.call(.POST, "/api/control", body: "not json").status == 400)
        }
    }

    @Test("the fleet: paging, a state filter, sorting, and a bad sort")
    func fleet() async throws {
        try await withServer(try await LiveFixture.start(count: 5)) { live in
            let page = try await live.call(.GET, "/api/modems?offset=1&limit=2")
            #expect(page.json["count"] as? Int == 5)
            #expect((page.json["modems"] as? [[String: Any]])?.compactMap { $0["modem"] as? Int } == [1, 2])
            let none = try await live.call(.GET, "/api/modems?state=CONNECT%20OK")
            #expect(none.json["count"] as? Int == 0)
            let sorted = try await live.call(.GET, "/api/modems?sort=state&limit=5000")
            #expect((sorted.json["modems"] as? [Any])?.count == 5)
            #expect(try await live.call(.GET, "/api/modems?sort=colour").status == 400)
        }
    }

    @Test("without the token every path is 401; with it as a bearer or in the query it is served")
    func token() async throws {
        try await withServer(try await LiveFixture.start(token: "s3cret")) { live in
            for path in ["/", "/app.js", "/metrics", "/api/modems", "/api/modems/0", "/api/live"] {
                let refused = try await live.call(.GET, path)
                #expect(refused.status == 401, "\(path)")
                #expect((refused.json["error"] as? String)?.contains("token") == true, "\(path)")
                #expect(try await live.call(.GET, path, token: "wrong").status == 401, "\(path)")
            }
            #expect(try await live.call(.GET, "/api/modems", token: "s3cret").status == 200)
            #expect(try await live.call(.GET, "/api/modems?token=s3cret").status == 200)
            #expect(try await live.call(.POST, "/api/modems/0/reset?token=s3cret").status == 200)
        }
    }

    @Test("the page and its files are served from the package's resources")
    func page() async throws {
        try await withServer(try await LiveFixture.start()) { live in
            let index = try await live.call(.GET, "/")
            #expect(index.status == 200 && index.body.contains("<html"))
            #expect(try await live.call(.GET, "/app.js").body.contains("WebSocket"))
            #expect(try await live.call(.GET, "/style.css").status == 200)
            #expect(try await live.call(.GET, "/nothing.js").status == 404)
        }
    }
}
