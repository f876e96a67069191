// Readable text for the status model, for logs and `print`: the module's own state words, one line.

extension SingleConnectionState: CustomStringConvertible {
    /// The state word as the module prints it, e.g. `IP STATUS`.
    public var description: String { rawValue }
}

extension MultiConnectionState: CustomStringConvertible {
    /// The state word as the module prints it, e.g. `IP PROCESSING`.
    public var description: String { rawValue }
}

extension ClientState: CustomStringConvertible {
    /// The state word as the module prints it, e.g. `REMOTE CLOSING`.
    public var description: String { rawValue }
}

extension TransportProtocol: CustomStringConvertible {
    /// `TCP` or `UDP`.
    public var description: String { rawValue }
}

extension LinkStatus: CustomStringConvertible {
    /// The link number, its state and, when it has one, its remote end: `0 CONNECTED TCP 1.2.3.4:80`,
    /// `1 INITIAL`.
    public var description: String { "\(number) \(stateAndRemote)" }

    /// The state and the remote end without the link number: `CONNECTED TCP 1.2.3.4:80`.
    package var stateAndRemote: String {
        var words = [state.rawValue]
        if let transport { words.append(transport.rawValue) }
        if !address.isEmpty || port != nil { words.append(address + (port.map { ":\($0)" } ?? "")) }
        return words.joined(separator: " ")
    }

    /// Whether the link is listed only because the module lists every link: no remote end, `INITIAL`.
    package var isUnused: Bool { self == .unused(number) }
}

extension ServerStatus: CustomStringConvertible {
    /// The server's state and port: `LISTENING on port 4010`.
    public var description: String { "\(state) on port \(port)" }
}

extension ConnectionStatus {
    /// The `STATE:` word as the module printed it.
    public var stateWord: String {
        switch self {
        case .single(let state): state.rawValue
        case .multi(let state, _, _): state.rawValue
        }
    }

    /// Each link's state word in multi-connection mode; none in single mode.
    public var linkStateWords: [String] {
        switch self {
        case .single: []
        case .multi(_, _, let links): links.map(\.state.rawValue)
        }
    }
}

extension ConnectionStatus: CustomStringConvertible {
    /// The mode, the `STATE:` word, the server and the links in use, on one line: `single CONNECT OK`,
    /// `multi IP PROCESSING, server LISTENING on port 4010, 1 link(s): 0 CONNECTED TCP 1.2.3.4:80`.
    /// Unused links (`INITIAL`, no remote end) are left out.
    public var description: String {
        switch self {
        case .single(let state):
            return "single \(state.rawValue)"
        case .multi(let state, let server, let links):
            var parts = ["multi \(state.rawValue)"]
            if let server { parts.append("server \(server)") }
            let used = links.filter { !$0.isUnused }
            let count = "\(used.count) link(s)"
            parts.append(used.isEmpty ? count : count + ": " + used.map(\.description).joined(separator: ", "))
            return parts.joined(separator: ", ")
        }
    }
}
