import Foundation
import ModemEmulator
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

@testable import ModemHTTP

#if canImport(Glibc)
import Glibc
#endif

/// Property and fuzz tests of every parser the HTTP side added: the command body, the `--http`
/// URL a client takes, and the server against random requests and random bytes.
@Suite(.timeLimit(.minutes(1)))
struct LiveInputPropertyTests {
    private static let alphabet = Array(#"{}[]":,\ atrgumensx01é"#) + ["\u{0}", "\n", "\u{1F4E1}"]

    private func randomText(_ random: inout SplitMix64, maximum: Int = 40) -> String {
        String((0..<random.int(0...maximum)).map { _ in Self.alphabet[random.int(0...Self.alphabet.count - 1)] })
    }

    @Test("a command body: random text never traps; generated arguments come back exactly", arguments: 0..<4)
    func commandBody(seed: UInt64) throws {
        var random = SplitMix64(seed: 0xB0D1 + seed)
        for _ in 0..<2000 {
            let body = randomText(&random)
            if let arguments = try? LiveAPI.arguments(command: "signal", body: ByteBuffer(string: body)) {
                // Only a body that is empty, or an object with "arguments" of strings, is accepted.
                let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
                #expect(body.allSatisfy(\.isWhitespace) || object?["arguments"] as? [String] == arguments, "\(body)")
            }
            let arguments = (0..<random.int(0...4)).map { _ in randomText(&random, maximum: 12) }
            let encoded = try JSONSerialization.data(withJSONObject: ["arguments": arguments])
            #expect(try LiveAPI.arguments(command: "network", body: ByteBuffer(bytes: encoded)) == arguments)
        }
    }

    @Test("a URL for --http: random text never traps; generated ones are read back", arguments: 0..<4)
    func endpoint(seed: UInt64) {
        var random = SplitMix64(seed: 0xE4D9 + seed)
        let pieces = ["http://", "https://", "[", "]", ":", "::1", "127.0.0.1", "host", "/", "?", "token=", "&", "8080", "0", "99999"]
        for _ in 0..<3000 {
            let text = (0..<random.int(0...8)).map { _ in pieces[random.int(0...pieces.count - 1)] }.joined()
            if let endpoint = HTTPControlClient.Endpoint(text) {
                #expect((1...65535).contains(endpoint.port) && !endpoint.host.isEmpty, "\(text)")
            }
            let port = random.int(1...65535)
            let host = ["127.0.0.1", "::1", "modems.example"][random.int(0...2)]
            let token = random.int(0...1) == 0 ? nil : "t\(random.int(0...999))"
            let shown = host.contains(":") ? "[\(host)]" : host
            let url = "http://\(shown):\(port)/" + (token.map { "?token=\($0)" } ?? "")
            #expect(HTTPControlClient.Endpoint(url) == HTTPControlClient.Endpoint(host: host, port: port, token: token), "\(url)")
        }
    }

    @Test("random requests and raw bytes: never a 5xx, and the modem and the server are as they were")
    func server() async throws {
        try await withServer(try await LiveFixture.start(count: 2)) { live in
            let before = try await live.call(.GET, "/api/modems/0").body
            var random = SplitMix64(seed: 0x5E4F)
            let paths = [
                "/api/modems", "/api/modems/0", "/api/modems/1/log", "/api/modems/0/timeline", "/metrics",
                "/api/modems/0/reset", "/api/modems/0/network", "/api/control", "/api/modems/99/status",
                "/api/modems/%00", "/api/modems?limit=-5&offset=999999999999999999999", "/api/modems?sort=",
                "/api/modems/0/log?after=-3", "/api/modems/0/log?after=x", "/../etc/passwd", "/api/live",
            ]
            for _ in 0..<300 {
                let path = paths[random.int(0...paths.count - 1)]
                // A leading control character keeps every body invalid JSON: no command is carried out.
                let body = "\u{1}" + randomText(&random)
                let method: HTTPMethod = random.int(0...1) == 0 ? .GET : .POST
                let reply = try await live.call(method, path, body: method == .POST ? body : "")
                #expect(reply.status < 500, "\(method) \(path) \(body.debugDescription): \(reply.status)")
            }
            for _ in 0..<20 {
                let bytes = (0..<random.int(1...600)).map { _ in UInt8(random.int(0...255)) }
                try rawExchange(port: live.endpoint.port, bytes: bytes)
            }
            #expect(try await live.call(.GET, "/api/modems/0").body == before)
        }
    }

    /// Writes `bytes` on a new connection and reads until the server closes it or 1 s passes.
    private func rawExchange(port: Int, bytes: [UInt8]) throws {
        let descriptor = try loopbackSocket(port: port)
        defer { close(descriptor) }
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        shutdown(descriptor, Int32(SHUT_WR))
        var buffer = [UInt8](repeating: 0, count: 4096)
        var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while poll(&waiting, 1, 1000) > 0, buffer.withUnsafeMutableBytes({ read(descriptor, $0.baseAddress, 4096) }) > 0 {}
    }
}
