/// The two renderings of `AT+CIPSTATUS` (spec `CIPSTATUS.md`, "How the project reads the loose
/// places").
public enum StatusDialect: String, Sendable, CaseIterable {
    /// As real SIM800 modules print it: all six `C:` lines, quoted ports, an `S:` server line,
    /// and `+CIPSTATUS: ` before the reply to `AT+CIPSTATUS=<n>`.
    case sim800
    /// As the specification's tables print it: unquoted ports, no `S:` line, no prefix on the
    /// reply to `AT+CIPSTATUS=<n>`.
    case spec
}

/// Renders a ``ConnectionStatus`` as the information lines of `AT+CIPSTATUS` in one dialect.
///
/// The lines come without framing; the modem frames each as `\r\n<line>\r\n` after the `OK`.
public struct CIPSTATUSEncoder: Sendable {
    public let dialect: StatusDialect

    public init(dialect: StatusDialect = .sim800) {
        self.dialect = dialect
    }

    /// The lines after `OK` for `AT+CIPSTATUS`: `STATE: …`, then the `S:` and `C:` lines in multi mode.
    public func executeLines(_ status: ConnectionStatus) -> [String] {
        switch status {
        case .single(let state):
            return ["STATE: " + state.rawValue]
        case .multi(let state, let server, let links):
            var lines = ["STATE: " + state.rawValue]
            if dialect == .sim800, let server {
                lines.append("S: 0,\(server.bearer),\"\(server.port)\",\"\(server.state)\"")
            }
            for link in links { lines.append("C: " + fields(link)) }
            return lines
        }
    }

    /// The line for `AT+CIPSTATUS=<n>`, sent before `OK`.
    public func linkLine(_ link: LinkStatus) -> String {
        switch dialect {
        case .sim800: "+CIPSTATUS: " + fields(link)
        case .spec: fields(link)
        }
    }

    /// `<n>,<bearer>,"<TCP/UDP>","<IP address>",<port>,"<client state>"`, the port quoted in the sim800 dialect.
    func fields(_ link: LinkStatus) -> String {
        let bearer = link.bearer.map(String.init) ?? ""
        let transport = link.transport?.rawValue ?? ""
        let port = link.port.map(String.init) ?? ""
        let renderedPort =
            switch dialect {
            case .sim800: "\"\(port)\""
            case .spec: port
            }
        return "\(link.number),\(bearer),\"\(transport)\",\"\(link.address)\",\(renderedPort),\"\(link.state.rawValue)\""
    }
}
