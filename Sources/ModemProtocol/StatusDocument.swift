/// The JSON form of a ``ConnectionStatus``: what `modem status --json` prints and what the
/// emulator's control socket reports as `connection`. The schema is documented in
/// docs/status-json.md and stays stable (fields are only ever added).
public struct StatusDocument: Codable, Equatable, Sendable {
    /// The server line of multi mode.
    public struct Server: Codable, Equatable, Sendable {
        /// The first number of the `S:` line.
        public var index: Int
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
    /// The `STATE:` word, e.g. `"IP PROCESSING"`; `nil` when the module gave none (A6/A7).
    public var state: String?
    /// The server, `null` when none listens or in single mode.
    public var server: Server?
    /// The links of multi mode, in link order; empty in single mode.
    public var links: [Link]
    /// The raw text of status lines that could not be read (line noise); empty when all could.
    public var unreadable: [String]

    /// The document for what a reply said: its status, `state` `nil` when the module gave no state
    /// line, and the lines that could not be read.
    public init(_ reading: StatusReading) {
        self.init(reading.status, stateReported: reading.stateReported, unreadable: reading.unreadable)
    }

    /// The document for a status.
    public init(_ status: ConnectionStatus) {
        self.init(status, stateReported: true, unreadable: [])
    }

    private init(_ status: ConnectionStatus, stateReported: Bool, unreadable: [String]) {
        switch status {
        case .single(let state):
            mode = "single"
            self.state = state.rawValue
            server = nil
            links = []
        case .multi(let state, let server, let links):
            mode = "multi"
            self.state = stateReported ? state.rawValue : nil
            self.server = server.map { Server(index: $0.index, bearer: $0.bearer, port: $0.port, state: $0.state) }
            self.links = links.map { StatusDocument.Link($0) }
        }
        self.unreadable = unreadable
    }

    enum CodingKeys: String, CodingKey {
        case mode, state, server, links, unreadable
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mode = try container.decode(String.self, forKey: .mode)
        state = try container.decodeIfPresent(String.self, forKey: .state)
        server = try container.decodeIfPresent(Server.self, forKey: .server)
        links = try container.decode([Link].self, forKey: .links)
        unreadable = try container.decodeIfPresent([String].self, forKey: .unreadable) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mode, forKey: .mode)
        try container.encode(state, forKey: .state)
        try container.encode(server, forKey: .server)
        try container.encode(links, forKey: .links)
        if !unreadable.isEmpty { try container.encode(unreadable, forKey: .unreadable) }
    }
}

/// The JSON form of one link, what `modem status --link N --json` prints (docs/status-json.md):
/// `{"mode":"multi","link":{...}}`, the link as in ``StatusDocument/links``.
public struct LinkDocument: Codable, Equatable, Sendable {
    /// Always `"multi"`: only multi-connection mode answers `AT+CIPSTATUS=<n>`.
    public var mode = "multi"
    /// The link.
    public var link: StatusDocument.Link

    /// The document for a link.
    public init(_ link: LinkStatus) {
        self.link = StatusDocument.Link(link)
    }
}

extension StatusDocument.Link {
    /// The JSON form of a link.
    public init(_ link: LinkStatus) {
        self.init(
            n: link.number, bearer: link.bearer, protocol: link.transport?.rawValue, address: link.address,
            port: link.port, state: link.state.rawValue)
    }
}
