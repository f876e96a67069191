import ModemProtocol

/// The JSON form of a ``StatusChange`` at a time: one line of `modem watch --json`. The schema is
/// documented in docs/status-json.md and stays stable (fields are only ever added).
///
/// Statuses, servers and links have the shapes of ``StatusDocument``; an unsolicited result is its
/// line as the module wrote it (``UnsolicitedResult/line``).
public struct StatusChangeDocument: Encodable, Equatable, Sendable {
    /// What changed.
    public var change: StatusChange
    /// When the change was seen, in milliseconds since 1970-01-01 00:00 UTC.
    public var timeMilliseconds: Int64

    /// The document for `change`, seen at `timeMilliseconds` since the epoch.
    public init(_ change: StatusChange, timeMilliseconds: Int64) {
        self.change = change
        self.timeMilliseconds = timeMilliseconds
    }

    /// `kind`: `status` (the first reading), `mode`, `state`, `server`, `link`, `urc` or `poll_failed`.
    public var kind: String {
        switch change {
        case .initial: "status"
        case .modeChanged: "mode"
        case .stateChanged: "state"
        case .serverChanged: "server"
        case .linkChanged: "link"
        case .unsolicited: "urc"
        case .pollFailed: "poll_failed"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case timeMilliseconds = "time_ms"
        case kind, status, from, to, n, line, link, length, error
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(timeMilliseconds, forKey: .timeMilliseconds)
        try container.encode(kind, forKey: .kind)
        switch change {
        case .initial(let status), .modeChanged(let status):
            try container.encode(StatusDocument(status), forKey: .status)
        case .stateChanged(let from, let to):
            try container.encode(from, forKey: .from)
            try container.encode(to, forKey: .to)
        case .serverChanged(let from, let to):
            try container.encode(from.flatMap(Self.document), forKey: .from)
            try container.encode(to.flatMap(Self.document), forKey: .to)
        case .linkChanged(let from, let to):
            try container.encode(to.number, forKey: .n)
            try container.encode(from.flatMap(Self.document), forKey: .from)
            try container.encode(Self.document(to), forKey: .to)
        case .unsolicited(let result):
            try container.encode(result.line, forKey: .line)
            try container.encode(result.link, forKey: .link)
            if case .received(_, let bytes) = result { try container.encode(bytes.count, forKey: .length) }
        case .pollFailed(let failure):
            try container.encode(failure.description, forKey: .error)
        }
    }

    /// A server in the shape of ``StatusDocument/server``: that type is the one encoding of a server line.
    private static func document(_ server: ServerStatus) -> StatusDocument.Server? {
        StatusDocument(.multi(.unknown(""), server: server, links: [])).server
    }

    /// A link in the shape of ``StatusDocument/links``: that type is the one encoding of a link line.
    private static func document(_ link: LinkStatus) -> StatusDocument.Link? {
        StatusDocument(.multi(.unknown(""), server: nil, links: [link])).links.first
    }
}
