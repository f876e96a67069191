/// Why a reply could not be read as `AT+CIPSTATUS` output.
public enum CIPSTATUSDecodingError: Error, Hashable, Sendable {
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

/// What a reply to `AT+CIPSTATUS` said, as far as it could be read: the status, whether the module
/// gave a state line, and the status lines that line noise made unreadable.
public struct StatusReading: Hashable, Sendable {
    /// The status. Without a `STATE:` line (A6/A7 modules send none) the state is `.unknown("")`.
    public var status: ConnectionStatus
    /// Whether the reply had a `STATE:` line.
    public var stateReported: Bool
    /// Each `C:`, `S:` or link line that could not be read, in order, with its raw text.
    public var problems: [CIPSTATUSDecodingError]

    /// The raw text of the lines that could not be read.
    public var unreadable: [String] {
        problems.map { problem in
            switch problem {
            case .malformedLink(let line), .malformedServer(let line): line
            case .missingStateLine, .missingLinkLine: ""
            }
        }
    }
}

/// Reads `AT+CIPSTATUS` replies in either dialect and the variants real modules send.
///
/// Tolerated: CRLF, LF or CR line ends; blank lines; the echoed command; `OK`; spaces around
/// fields and after `C:`/`S:`/`STATE:`; quoted or unquoted fields; a `+CIPSTATUS:` prefix or none;
/// state words in any case; `C:` lines before the `STATE:` line; any number of links (SIM900 and
/// SIM7000: 0–7); the Ai-Thinker A6/A7 layout (`+CIPSTATUS:`, then `<n>,<state>` per link, no
/// `STATE:` line). A state word it does not know is kept as `.unknown(word)`.
public enum CIPSTATUSDecoder {
    /// One line of a status reply.
    public enum Line: Hashable, Sendable {
        case state(String)
        case server(ServerStatus)
        case link(LinkStatus)
    }

    /// Reads one line; `nil` for lines that are not part of a status (echo, `OK`, blank, URCs).
    public static func decodeLine(_ rawLine: some StringProtocol) throws(CIPSTATUSDecodingError) -> Line? {
        var text = String(rawLine)
        return try text.withUTF8 { bytes in
            Result { () throws(CIPSTATUSDecodingError) -> Line? in
                let parser = StatusLineParser(bytes: bytes)
                switch try parser.line(0..<bytes.count) {
                case .state(let range): return .state(parser.text(range))
                case .server(let server): return .server(server)
                case .link(let link): return .link(link)
                case nil: return nil
                }
            }
        }.get()
    }

    /// Reads the reply to `AT+CIPSTATUS` as far as it can be read: a garbled line is reported in
    /// ``StatusReading/problems`` and the rest still read. `multiConnection` says which mode the
    /// module is in when the caller knows it; otherwise the reply decides (`C:`/`S:` lines or
    /// `IP PROCESSING` mean multi). Throws ``CIPSTATUSDecodingError/missingStateLine`` only when the
    /// reply has neither a state line nor a link.
    public static func readStatus(
        _ reply: some StringProtocol, multiConnection: Bool? = nil
    ) throws(CIPSTATUSDecodingError) -> StatusReading {
        var text = String(reply)
        return try text.withUTF8 { bytes in
            Result { () throws(CIPSTATUSDecodingError) in
                try StatusLineParser(bytes: bytes).reading(multiConnection: multiConnection)
            }
        }.get()
    }

    /// Reads the reply to `AT+CIPSTATUS` strictly: a garbled line, or no `STATE:` line, is an error.
    public static func decodeStatus(
        _ reply: some StringProtocol, multiConnection: Bool? = nil
    ) throws(CIPSTATUSDecodingError) -> ConnectionStatus {
        try readStatus(reply, multiConnection: multiConnection).strict()
    }

    /// Reads the reply to `AT+CIPSTATUS` from the bytes of the serial line.
    public static func decodeStatus(
        bytes reply: some Collection<UInt8>, multiConnection: Bool? = nil
    ) throws(CIPSTATUSDecodingError) -> ConnectionStatus {
        let result = reply.withContiguousStorageIfAvailable { bytes in
            Result { () throws(CIPSTATUSDecodingError) in
                try StatusLineParser(bytes: bytes).reading(multiConnection: multiConnection).strict()
            }
        }
        if let result { return try result.get() }
        return try Array(reply).withUnsafeBufferPointer { bytes in
            Result { () throws(CIPSTATUSDecodingError) in
                try StatusLineParser(bytes: bytes).reading(multiConnection: multiConnection).strict()
            }
        }.get()
    }

    /// Reads the reply to `AT+CIPSTATUS=<n>`.
    public static func decodeLink(_ reply: some StringProtocol) throws(CIPSTATUSDecodingError) -> LinkStatus {
        var text = String(reply)
        return try text.withUTF8 { bytes in
            Result { () throws(CIPSTATUSDecodingError) in
                let parser = StatusLineParser(bytes: bytes)
                for line in parser.lines() {
                    if case .link(let link) = try parser.line(line) { return link }
                }
                throw .missingLinkLine
            }
        }.get()
    }
}

/// The decoder's work on the bytes of a reply: no intermediate strings, field boundaries kept as
/// index ranges on the stack, state words matched byte for byte before any normalisation.
private struct StatusLineParser {
    enum RawLine {
        case state(Range<Int>)
        case server(ServerStatus)
        case link(LinkStatus)
    }

    let bytes: UnsafeBufferPointer<UInt8>

    static let quote = UInt8(ascii: "\"")
    static let comma = UInt8(ascii: ",")

    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// The lines of the reply, split at CR and LF, blank ones left out.
    func lines() -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = 0
        for index in 0...bytes.count where index == bytes.count || bytes[index] == 0x0D || bytes[index] == 0x0A {
            if index > start { result.append(start..<index) }
            start = index + 1
        }
        return result
    }

    func reading(multiConnection: Bool?) throws(CIPSTATUSDecodingError) -> StatusReading {
        var stateWord: Range<Int>?
        var server: ServerStatus?
        var links: [LinkStatus] = []
        var problems: [CIPSTATUSDecodingError] = []
        var start = 0
        for index in 0...bytes.count where index == bytes.count || bytes[index] == 0x0D || bytes[index] == 0x0A {
            defer { start = index + 1 }
            guard index > start else { continue }
            do throws(CIPSTATUSDecodingError) {
                switch try line(start..<index) {
                case .state(let range): stateWord = range
                case .server(let status): server = status
                case .link(let link):
                    if links.isEmpty { links.reserveCapacity(6) }
                    links.append(link)
                case nil: continue
                }
            } catch {
                problems.append(error)
            }
        }
        guard let stateWord else {
            // The A6/A7 layout lists its links with no state line; a reply with neither is none.
            guard !links.isEmpty else { throw problems.first ?? .missingStateLine }
            return StatusReading(
                status: .multi(.unknown(""), server: server, links: links), stateReported: false, problems: problems)
        }
        let multiState: MultiConnectionState = word(stateWord)
        let multi = multiConnection ?? (!links.isEmpty || server != nil || multiState == .ipProcessing)
        let status: ConnectionStatus = multi ? .multi(multiState, server: server, links: links) : .single(word(stateWord))
        return StatusReading(status: status, stateReported: true, problems: problems)
    }

    func line(_ whole: Range<Int>) throws(CIPSTATUSDecodingError) -> RawLine? {
        var range = trim(whole)
        let prefixed = hasPrefix(range, "+CIPSTATUS:")
        if prefixed { range = trim(range.lowerBound + 11..<range.upperBound) }
        if hasPrefix(range, "STATE:") { return .state(trim(range.lowerBound + 6..<range.upperBound)) }
        if hasPrefix(range, "S:") { return .server(try server(range.lowerBound + 2..<range.upperBound, line: whole)) }
        if hasPrefix(range, "C:") { return .link(try link(range.lowerBound + 2..<range.upperBound, line: whole)) }
        // `+CIPSTATUS:` alone heads the A6/A7 layout.
        if prefixed, range.isEmpty { return nil }
        let startsWithDigit = range.first.map { bytes[$0] >= 0x30 && bytes[$0] <= 0x39 } ?? false
        // The A6/A7 layout: `<n>,<state>` per link, the state a word of the single-connection states.
        if startsWithDigit, let link = stateOnlyLink(range, afterPrefix: prefixed) { return .link(link) }
        // After `+CIPSTATUS:` comes the link of `AT+CIPSTATUS=<n>`.
        if prefixed { return .link(try link(range, line: whole)) }
        // A bare link line, `0,0,"TCP",...`: starts with a digit and has six fields.
        if startsWithDigit, fieldCount(range) == 6 {
            return .link(try link(range, line: whole))
        }
        return nil
    }

    func server(_ range: Range<Int>, line: Range<Int>) throws(CIPSTATUSDecodingError) -> ServerStatus {
        var result: ServerStatus?
        withFields(range) { fields, _ in
            guard fields.count >= 4, fields[2].count > 0, let port = integer(fields[2]) else { return }
            let bearer = fields[1].isEmpty ? 0 : integer(fields[1])
            guard let bearer, let index = fields[0].isEmpty ? 0 : integer(fields[0]) else { return }
            result = ServerStatus(
                index: index, bearer: bearer, port: port, state: StateWords.normalize(text(fields[3])))
        }
        guard let result else { throw .malformedServer(text(line)) }
        return result
    }

    /// The link in `range`, the fields of a link line after any `C:` or `+CIPSTATUS:` prefix.
    func link(_ range: Range<Int>, line: Range<Int>) throws(CIPSTATUSDecodingError) -> LinkStatus {
        var result: LinkStatus?
        withFields(range) { fields, quotes in
            guard fields.count == 6, quotes.isMultiple(of: 2), let number = integer(fields[0]),
                !fields.contains(where: { field in field.contains { bytes[$0] == Self.quote } })
            else { return }
            let state: ClientState = fields[5].isEmpty ? .unknown("") : word(fields[5])
            result = LinkStatus(
                number: number,
                bearer: integer(fields[1]),
                transport: transport(fields[2]),
                address: text(fields[3]),
                port: integer(fields[4]),
                state: state
            )
        }
        guard let result else { throw .malformedLink(text(line)) }
        return result
    }

    /// `0,CONNECT OK` (A6/A7): a link number, a comma, and a state word of letters, spaces and `/`
    /// (`TCP/UDP CONNECTING`, `BIND OK`), unquoted. On a line of its own the word has two parts
    /// and no space follows the comma, which tells it from a SIM800 URC (`0, CONNECT OK`).
    func stateOnlyLink(_ range: Range<Int>, afterPrefix: Bool) -> LinkStatus? {
        guard let comma = range.first(where: { bytes[$0] == Self.comma }), comma + 1 < range.upperBound else { return nil }
        var result: LinkStatus?
        withFields(range) { fields, quotes in
            guard fields.count == 2, quotes == 0, let number = integer(fields[0]), fields[1].count >= 2,
                bytes[fields[1]].allSatisfy({ (0x41...0x5A).contains(upper($0)) || $0 == 0x20 || $0 == 0x2F })
            else { return }
            let twoWords = bytes[fields[1]].contains { $0 == 0x20 || $0 == 0x2F }
            guard afterPrefix || (twoWords && bytes[comma + 1] != 0x20) else { return }
            result = LinkStatus(number: number, state: word(fields[1]))
        }
        return result
    }

    func fieldCount(_ range: Range<Int>) -> Int {
        var count = 0
        withFields(range) { fields, _ in count = fields.count }
        return count
    }

    /// Calls `body` with the fields of `range` (split on commas outside quotes, each without its
    /// surrounding spaces and quotes) and the number of quotes seen. At most 8 fields are kept.
    func withFields(_ range: Range<Int>, _ body: (UnsafeMutableBufferPointer<Range<Int>>, Int) -> Void) {
        withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: 8) { storage in
            var count = 0
            var quotes = 0
            var inQuotes = false
            var start = range.lowerBound
            for index in range.lowerBound...range.upperBound {
                if index < range.upperBound {
                    let byte = bytes[index]
                    if byte == Self.quote {
                        inQuotes.toggle()
                        quotes += 1
                        continue
                    }
                    if byte != Self.comma || inQuotes { continue }
                }
                guard count < 8 else {
                    count += 1
                    break
                }
                storage[count] = unquote(start..<index)
                count += 1
                start = index + 1
            }
            body(UnsafeMutableBufferPointer(rebasing: storage[0..<min(count, 8)]), count > 8 ? 9 : quotes)
        }
    }

    func unquote(_ field: Range<Int>) -> Range<Int> {
        var range = trim(field)
        if let first = range.first, bytes[first] == Self.quote { range = first + 1..<range.upperBound }
        if let last = range.last, bytes[last] == Self.quote { range = range.lowerBound..<last }
        return trim(range)
    }

    func trim(_ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, bytes[lower] == 0x20 || bytes[lower] == 0x09 { lower += 1 }
        while upper > lower, bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09 { upper -= 1 }
        return lower..<upper
    }

    func hasPrefix(_ range: Range<Int>, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard range.count >= count else { return false }
        let start = prefix.utf8Start
        for offset in 0..<count where upper(bytes[range.lowerBound + offset]) != start[offset] { return false }
        return true
    }

    func upper(_ byte: UInt8) -> UInt8 { byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte }

    /// An optionally signed decimal integer filling the whole range.
    func integer(_ range: Range<Int>) -> Int? {
        guard !range.isEmpty else { return nil }
        var index = range.lowerBound
        var negative = false
        if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        guard index < range.upperBound, range.upperBound - index <= 18 else { return nil }
        var value = 0
        while index < range.upperBound {
            let digit = bytes[index] &- 0x30
            guard digit <= 9 else { return nil }
            value = value * 10 + Int(digit)
            index += 1
        }
        return negative ? -value : value
    }

    func transport(_ range: Range<Int>) -> TransportProtocol? {
        guard range.count == 3 else { return nil }
        if hasPrefix(range, "TCP") { return .tcp }
        if hasPrefix(range, "UDP") { return .udp }
        return nil
    }

    /// The state whose word is exactly the bytes in `range`; otherwise the normalising, tolerant path.
    func word<State: StateWord>(_ range: Range<Int>) -> State {
        for state in State.known {
            let candidate = state.rawValue.utf8
            if candidate.count == range.count, zip(candidate, bytes[range]).allSatisfy({ $0 == $1 }) { return state }
        }
        return State(word: text(range))
    }
}

extension StatusReading {
    /// The status when every line was read and the state was reported; otherwise the first problem.
    func strict() throws(CIPSTATUSDecodingError) -> ConnectionStatus {
        if let problem = problems.first { throw problem }
        guard stateReported else { throw .missingStateLine }
        return status
    }
}
