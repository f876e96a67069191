/// Where and how `modem emulate --http` serves the live view, the HTTP API and the metrics.
public struct LiveServerOptions: Sendable, Equatable {
    /// The address to bind: `127.0.0.1` unless the user named another.
    public var host: String
    /// The port; 0 picks a free one.
    public var port: Int
    /// The token every request must carry (`Authorization: Bearer …` or `?token=…`); `nil` serves
    /// every request, which ``resolved()`` allows on loopback only.
    public var token: String?

    /// Serves on `host:port`, with `token` when given.
    public init(host: String = "127.0.0.1", port: Int, token: String? = nil) {
        self.host = host
        self.port = port
        self.token = token
    }

    /// Whether the host is a loopback address, which nobody else can reach.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// The options with a generated token when the address is reachable from elsewhere and none was given.
    public func resolved(generate: () -> String = LiveServerOptions.randomToken) -> LiveServerOptions {
        guard token == nil, !isLoopback else { return self }
        var options = self
        options.token = generate()
        return options
    }

    /// 32 hexadecimal digits from the system's random source.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let word = String(generator.next() as UInt32, radix: 16)
            return String(repeating: "0", count: 8 - word.count) + word
        }.joined()
    }

    /// The URL a person opens, with the token when one is needed; `port` is the one bound.
    public func url(port: Int) -> String {
        let shown = host.contains(":") ? "[\(host)]" : host
        let base = "http://\(shown):\(port)/"
        return token.map { "\(base)?token=\($0)" } ?? base
    }
}
