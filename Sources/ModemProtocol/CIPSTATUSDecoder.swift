/// Why a reply could not be read as `AT+CIPSTATUS` output.
public enum CIPSTATUSDecodingError: Error, Equatable, Sendable {
    /// No `STATE:` line in a reply to `AT+CIPSTATUS`.
    case missingStateLine
    /// No link line in a reply to `AT+CIPSTATUS=<n>`.
    case missingLinkLine
    /// A `C:` or link line without exactly six fields, with unbalanced quotes, or with a link number that
    /// is not a number. Such a line is rejected, not guessed at (lines garbled by a UART overrun).
    case malformedLink(String)
    /// An `S:` line without its fields.
    case malformedServer(String)
}

/// Reads `AT+CIPSTATUS` replies in either dialect and the variants real modules send.
///
/// Tolerated: CRLF, LF or CR line ends; blank lines; the echoed command; `OK`; spaces around
/// fields and after `C:`/`S:`/`STATE:`; quoted or unquoted fields; a `+CIPSTATUS:` prefix or none;
/// state words in any case. A state word it does not know is kept as `.unknown(word)`.
public enum CIPSTATUSDecoder {
    /// One line of a status reply.
    public enum Line: Hashable, Sendable {
        case state(String)
        case server(ServerStatus)
        case link(LinkStatus)
    }

    /// Reads one line; `nil` for lines that are not part of a status (echo, `OK`, blank, URCs).
    public static func decodeLine(_ rawLine: some StringProtocol) throws(CIPSTATUSDecodingError) -> Line? {
        var line = Substring(rawLine).trimmingSpaces()
        let prefixed = line.hasCaseInsensitivePrefix("+CIPSTATUS:")
        if prefixed {
            line = line.dropFirst("+CIPSTATUS:".count).trimmingSpaces()
        }
        if line.hasCaseInsensitivePrefix("STATE:") {
            return .state(String(line.dropFirst("STATE:".count).trimmingSpaces()))
        }
        if line.hasCaseInsensitivePrefix("S:") {
            let fields = splitFields(line.dropFirst(2))
            guard fields.count >= 4, let bearer = Int(fields[1]) ?? (fields[1].isEmpty ? 0 : nil),
                let port = Int(fields[2])
            else { throw .malformedServer(String(rawLine)) }
            return .server(ServerStatus(bearer: bearer, port: port, state: StateWords.normalize(fields[3])))
        }
        if line.hasCaseInsensitivePrefix("C:") {
            return .link(try link(line.dropFirst(2), line: rawLine))
        }
        // After `+CIPSTATUS:` comes the link of `AT+CIPSTATUS=<n>`.
        if prefixed { return .link(try link(line, line: rawLine)) }
        // A bare link line, `0,0,"TCP",...`: starts with a digit and has six fields.
        if let first = line.first, first.isASCII, first.isNumber, splitFields(line).count == 6 {
            return .link(try link(line, line: rawLine))
        }
        return nil
    }

    /// Reads the reply to `AT+CIPSTATUS`. `multiConnection` says which mode the module is in when
    /// the caller knows it; otherwise the reply decides (`C:`/`S:` lines or `IP PROCESSING` mean multi).
    public static func decodeStatus(
        _ reply: some StringProtocol, multiConnection: Bool? = nil
    ) throws(CIPSTATUSDecodingError) -> ConnectionStatus {
        var stateWord: String?
        var server: ServerStatus?
        var links: [LinkStatus] = []
        for line in splitLines(reply) {
            switch try decodeLine(line) {
            case .state(let word): stateWord = word
            case .server(let status): server = status
            case .link(let link): links.append(link)
            case nil: continue
            }
        }
        guard let stateWord else { throw .missingStateLine }
        let multi =
            multiConnection ?? (!links.isEmpty || server != nil || StateWords.normalize(stateWord) == "IP PROCESSING")
        if multi {
            return .multi(MultiConnectionState(word: stateWord), server: server, links: links)
        }
        return .single(SingleConnectionState(word: stateWord))
    }

    /// Reads the reply to `AT+CIPSTATUS=<n>`.
    public static func decodeLink(_ reply: some StringProtocol) throws(CIPSTATUSDecodingError) -> LinkStatus {
        for line in splitLines(reply) {
            if case .link(let link) = try decodeLine(line) { return link }
        }
        throw .missingLinkLine
    }

    /// The link in `text`, the fields of a link line after any `C:` or `+CIPSTATUS:` prefix.
    static func link(_ text: Substring, line: some StringProtocol) throws(CIPSTATUSDecodingError) -> LinkStatus {
        let fields = splitFields(text)
        guard fields.count == 6, text.count(where: { $0 == "\"" }).isMultiple(of: 2),
            !fields.contains(where: { $0.contains("\"") }), let number = Int(fields[0])
        else { throw .malformedLink(String(line)) }
        let transport = TransportProtocol(rawValue: fields[2].uppercased())
        return LinkStatus(
            number: number,
            bearer: Int(fields[1]),
            transport: transport,
            address: String(fields[3]),
            port: Int(fields[4]),
            state: fields[5].isEmpty ? .unknown("") : ClientState(word: fields[5])
        )
    }

    /// Splits on commas outside quotes; each field without surrounding spaces and quotes.
    static func splitFields(_ text: Substring) -> [Substring] {
        var fields: [Substring] = []
        var inQuotes = false
        var start = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "\"" {
                inQuotes.toggle()
            } else if character == ",", !inQuotes {
                fields.append(unquote(text[start..<index]))
                start = text.index(after: index)
            }
            index = text.index(after: index)
        }
        fields.append(unquote(text[start..<text.endIndex]))
        return fields
    }

    static func unquote(_ field: Substring) -> Substring {
        var field = field.trimmingSpaces()
        if field.first == "\"" { field = field.dropFirst() }
        if field.last == "\"" { field = field.dropLast() }
        return field.trimmingSpaces()
    }

    static func splitLines(_ text: some StringProtocol) -> [Substring] {
        Substring(text).split(whereSeparator: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" })
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }

    func hasCaseInsensitivePrefix(_ prefix: String) -> Bool {
        guard count >= prefix.count else { return false }
        return zip(self, prefix).allSatisfy { $0.uppercased() == $1.uppercased() }
    }
}
