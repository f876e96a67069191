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

/// Renders what `AT+CIPSTATUS` reports as its framed information lines in one dialect, straight
/// into an output buffer and without allocating.
public struct CIPSTATUSEncoder: Sendable {
    public let dialect: StatusDialect

    public init(dialect: StatusDialect = .sim800) {
        self.dialect = dialect
    }

    /// Appends the reply to `AT+CIPSTATUS` after its `OK`.
    public func appendExecute(_ status: ConnectionStatus, formatter: ResponseFormatter, to output: inout [UInt8]) {
        switch status {
        case .single(let state):
            appendExecute(state, formatter: formatter, to: &output)
        case .multi(let state, let server, let links):
            appendExecute(state, server: server, links: links, formatter: formatter, to: &output)
        }
    }

    /// Appends the single-connection reply after its `OK`: the framed `STATE:` line.
    public func appendExecute(_ state: SingleConnectionState, formatter: ResponseFormatter, to output: inout [UInt8]) {
        appendState(state, formatter: formatter, to: &output)
    }

    /// Appends the multi-connection reply after its `OK`: the framed `STATE:` line, then the
    /// `S:`/`C:` lines as one block, one after the other without blank lines between them, as real
    /// SIM800 modules send them (docs/research/real-logs.md, a).
    public func appendExecute(
        _ state: MultiConnectionState, server: ServerStatus?, links: some Sequence<LinkStatus>,
        formatter: ResponseFormatter, to output: inout [UInt8]
    ) {
        appendState(state, formatter: formatter, to: &output)
        formatter.appendLine(to: &output) { output in
            var first = true
            if dialect == .sim800, let server {
                appendServer(server, to: &output)
                first = false
            }
            for link in links {
                if !first { output.append(contentsOf: "\r\n".utf8) }
                first = false
                appendLink("C: ", link, to: &output)
            }
        }
    }

    /// Appends the framed line for `AT+CIPSTATUS=<n>`, sent before `OK`.
    public func appendLinkLine(_ link: LinkStatus, formatter: ResponseFormatter, to output: inout [UInt8]) {
        formatter.appendLine(to: &output) { appendLink(dialect == .sim800 ? "+CIPSTATUS: " : "", link, to: &$0) }
    }

    /// `STATE: <state>`
    private func appendState(_ state: some StateWord, formatter: ResponseFormatter, to output: inout [UInt8]) {
        formatter.appendLine(to: &output) { output in
            output.append(contentsOf: "STATE: ".utf8)
            output.append(contentsOf: state.rawValue.utf8)
        }
    }

    /// `S: <index>,<bearer>,"<port>","<state>"`
    private func appendServer(_ server: ServerStatus, to output: inout [UInt8]) {
        output.append(contentsOf: "S: ".utf8)
        appendDecimal(server.index, to: &output)
        output.append(UInt8(ascii: ","))
        appendDecimal(server.bearer, to: &output)
        output.append(contentsOf: ",\"".utf8)
        appendDecimal(server.port, to: &output)
        output.append(contentsOf: "\",\"".utf8)
        output.append(contentsOf: server.state.utf8)
        output.append(UInt8(ascii: "\""))
    }

    /// `<prefix><n>,<bearer>,"<TCP/UDP>","<IP address>",<port>,"<client state>"`, the port quoted in
    /// the sim800 dialect.
    private func appendLink(_ prefix: StaticString, _ link: LinkStatus, to output: inout [UInt8]) {
        output.append(contentsOf: UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount))
        appendDecimal(link.number, to: &output)
        output.append(UInt8(ascii: ","))
        if let bearer = link.bearer { appendDecimal(bearer, to: &output) }
        output.append(contentsOf: ",\"".utf8)
        if let transport = link.transport { output.append(contentsOf: transport.rawValue.utf8) }
        output.append(contentsOf: "\",\"".utf8)
        output.append(contentsOf: link.address.utf8)
        output.append(contentsOf: "\",".utf8)
        let quotedPort = dialect == .sim800
        if quotedPort { output.append(UInt8(ascii: "\"")) }
        if let port = link.port { appendDecimal(port, to: &output) }
        if quotedPort { output.append(UInt8(ascii: "\"")) }
        output.append(contentsOf: ",\"".utf8)
        output.append(contentsOf: link.state.rawValue.utf8)
        output.append(UInt8(ascii: "\""))
    }
}

/// Appends the decimal digits of `value` without going through `String`.
func appendDecimal(_ value: Int, to output: inout [UInt8]) {
    if value < 0 {
        output.append(UInt8(ascii: "-"))
        appendDecimal(-value, to: &output)
        return
    }
    if value >= 10 { appendDecimal(value / 10, to: &output) }
    output.append(UInt8(ascii: "0") + UInt8(value % 10))
}
