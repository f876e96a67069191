/// The JSON form of a ``ConnectionStatus``: what `modem status --json` prints and what the
/// emulator's control socket reports as `connection`. The schema is documented in
/// docs/status-json.md and stays stable (fields are only ever added).
public struct StatusDocument: Codable, Equatable, Sendable {
    /// The server line of multi mode.
    public struct Server: Codable, Equatable, Sendable {
        public var bearer: Int
        public var port: Int
        public var state: String
    }

    /// One link of multi mode.
    public struct Link: Codable, Equatable, Sendable {
        public var n: Int
        public var bearer: Int?
        public var `protocol`: String?
        public var address: String
        public var port: Int?
        public var state: String

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(n, forKey: .n)
            try container.encode(bearer, forKey: .bearer)
            try container.encode(`protocol`, forKey: .protocol)
            try container.encode(address, forKey: .address)
            try container.encode(port, forKey: .port)
            try container.encode(state, forKey: .state)
        }
    }

    /// `"single"` or `"multi"`.
    public var mode: String
    /// The `STATE:` word, e.g. `"IP PROCESSING"`.
    public var state: String
    /// The server, `null` when none listens or in single mode.
    public var server: Server?
    /// The links of multi mode, in link order; empty in single mode.
    public var links: [Link]

    /// The document for a status.
    public init(_ status: ConnectionStatus) {
        switch status {
        case .single(let state):
            mode = "single"
            self.state = state.rawValue
            server = nil
            links = []
        case .multi(let state, let server, let links):
            mode = "multi"
            self.state = state.rawValue
            self.server = server.map { Server(bearer: $0.bearer, port: $0.port, state: $0.state) }
            self.links = links.map {
                Link(
                    n: $0.number, bearer: $0.bearer, protocol: $0.transport?.rawValue, address: $0.address,
                    port: $0.port, state: $0.state.rawValue)
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mode, forKey: .mode)
        try container.encode(state, forKey: .state)
        try container.encode(server, forKey: .server)
        try container.encode(links, forKey: .links)
    }
}
