import Foundation
import ModemProtocol
import Testing

/// One transcript of the corpus in `Fixtures/transcripts/` (format in `docs/research/real-logs.md`).
struct Transcript {
    let name: String
    let headers: [(key: String, value: String)]
    let log: [Substring]

    var expectation: String? { headers.first { $0.key == "expect" }?.value }

    init(name: String, text: String) {
        self.name = name
        var headers: [(key: String, value: String)] = []
        var log: [Substring] = []
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            if log.isEmpty, line.hasPrefix("# "), let colon = line.firstIndex(of: ":") {
                let key = line[line.index(line.startIndex, offsetBy: 2)..<colon]
                headers.append((String(key), String(line[line.index(after: colon)...].drop { $0 == " " })))
            } else {
                log.append(line)
            }
        }
        self.headers = headers
        self.log = log
    }

    /// A log line without the logger's decoration: leading tabs and spaces, `HH:MM:SS.mmm -> `,
    /// `<--- `, `---> `, `//`.
    static func stripLoggerPrefixes(_ line: Substring) -> Substring {
        var line = line
        while true {
            let before = line
            line = line.drop { $0 == " " || $0 == "\t" }
            for prefix in ["<--- ", "---> ", "<---", "--->", "//"] where line.hasPrefix(prefix) {
                line = line.dropFirst(prefix.count)
            }
            line = dropTimestamp(line)
            if line == before { return line }
        }
    }

    /// Drops `HH:MM:SS.mmm -> ` (an Arduino serial monitor's timestamp).
    static func dropTimestamp(_ line: Substring) -> Substring {
        let pattern = Array("99:99:99.999 -> ")
        let head = Array(line.prefix(pattern.count))
        guard head.count == pattern.count else { return line }
        for (character, expected) in zip(head, pattern) {
            if expected == "9" ? !(character.isASCII && character.isNumber) : character != expected { return line }
        }
        return line.dropFirst(pattern.count)
    }

    /// The last status reply of the log: the last block of status lines (`STATE:`, `S:`, `C:`,
    /// `+CIPSTATUS:`, the A6/A7 `<n>,<state>` lines, garbled ones included; blank lines between
    /// them), in either order; a lone `+CIPSTATUS:` link line is the reply to `AT+CIPSTATUS=<n>`.
    var lastStatusReply: LastReply? {
        let lines = log.map(Self.stripLoggerPrefixes)
        func isStatusLine(_ line: Substring) -> Bool {
            do {
                return try CIPSTATUSDecoder.decodeLine(line) != nil || line.uppercased().hasPrefix("+CIPSTATUS:")
            } catch {
                return true
            }
        }
        func isBlank(_ line: Substring) -> Bool { line.allSatisfy { $0 == " " } }
        func isReadable(_ line: Substring) -> Bool { ((try? CIPSTATUSDecoder.decodeLine(line)) ?? nil) != nil }
        // The last block with a readable line (a block of garbage alone is no reply).
        var end = lines.endIndex
        while let last = lines[..<end].lastIndex(where: isStatusLine) {
            var start = last
            while start > lines.startIndex, isStatusLine(lines[start - 1]) || isBlank(lines[start - 1]) { start -= 1 }
            let block = lines[start...last].filter { !isBlank($0) }
            if block.contains(where: isReadable) {
                if block.count == 1, block[0].uppercased().hasPrefix("+CIPSTATUS:") { return .link(String(block[0])) }
                return .status(block.map(String.init))
            }
            end = start
        }
        return nil
    }

    enum LastReply: Equatable {
        case status([String])
        case link(String)
    }
}

/// The `# expect:` JSON of a transcript.
struct Expectation: Decodable {
    struct Server: Decodable {
        let index: Int?
        let bearer: Int
        let port: Int
        let state: String
    }

    struct Link: Decodable {
        let n: Int
        let bearer: Int?
        let `protocol`: String
        let address: String
        let port: Int?
        let state: String
    }

    let mode: String
    let state: String?
    let server: Server?
    let links: [Link]?
    let link: Link?

    static let singleStates: [String: SingleConnectionState] = [
        "IP INITIAL": .ipInitial, "IP START": .ipStart, "IP CONFIG": .ipConfig, "IP GPRSACT": .ipGprsact,
        "IP STATUS": .ipStatus, "TCP CONNECTING": .tcpConnecting, "UDP CONNECTING": .udpConnecting,
        "SERVER LISTENING": .serverListening, "CONNECT OK": .connectOK, "TCP CLOSING": .tcpClosing,
        "UDP CLOSING": .udpClosing, "TCP CLOSED": .tcpClosed, "UDP CLOSED": .udpClosed, "PDP DEACT": .pdpDeact,
        "IP CLOSE": .ipClose,
    ]
    static let multiStates: [String: MultiConnectionState] = [
        "IP INITIAL": .ipInitial, "IP START": .ipStart, "IP CONFIG": .ipConfig, "IP GPRSACT": .ipGprsact,
        "IP STATUS": .ipStatus, "IP PROCESSING": .ipProcessing, "PDP DEACT": .pdpDeact,
    ]
    static let clientStates: [String: ClientState] = [
        "INITIAL": .initial, "CONNECTING": .connecting, "CONNECTED": .connected, "REMOTE CLOSING": .remoteClosing,
        "CLOSING": .closing, "CLOSED": .closed,
    ]
    static let transports: [String: TransportProtocol?] = ["TCP": .tcp, "UDP": .udp, "": nil]

    struct Unreadable: Error, CustomStringConvertible {
        let description: String
    }

    static func linkStatus(_ link: Link) throws -> LinkStatus {
        // Known client states by table; the A6/A7 layout's single-connection words are kept as given.
        let state = clientStates[link.state] ?? ClientState(word: link.state)
        guard let transport = transports[link.protocol] else {
            throw Unreadable(description: "protocol \(link.protocol)")
        }
        return LinkStatus(
            number: link.n, bearer: link.bearer, transport: transport, address: link.address, port: link.port,
            state: state)
    }

    /// The expected reply, as the model type.
    func expected() throws -> Transcript.Expected {
        switch mode {
        case "single":
            guard let word = state, let single = Self.singleStates[word] else {
                throw Unreadable(description: "single state \(state ?? "nil")")
            }
            return .status(.single(single))
        case "multi":
            // No state: the module gave none (A6/A7), read as `.unknown("")`.
            let multi: MultiConnectionState
            if let word = state {
                guard let known = Self.multiStates[word] else { throw Unreadable(description: "multi state \(word)") }
                multi = known
            } else {
                multi = .unknown("")
            }
            let server = self.server.map {
                ServerStatus(index: $0.index ?? 0, bearer: $0.bearer, port: $0.port, state: $0.state)
            }
            return .status(.multi(multi, server: server, links: try (links ?? []).map(Self.linkStatus)))
        case "link":
            guard let link else { throw Unreadable(description: "mode link without a link") }
            return .link(try Self.linkStatus(link))
        default:
            throw Unreadable(description: "mode \(mode)")
        }
    }
}

extension Transcript {
    enum Expected: Equatable {
        case status(ConnectionStatus)
        case link(LinkStatus)
    }
}

enum Corpus {
    static var directory: URL {
        get throws {
            guard let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
                throw Expectation.Unreadable(description: "no Fixtures in the test bundle")
            }
            return fixtures.appendingPathComponent("transcripts")
        }
    }

    /// The file names, sorted; empty when the bundle cannot be read (the count test then fails).
    static let fileNames: [String] = {
        guard let path = try? directory.path,
            let names = try? FileManager.default.contentsOfDirectory(atPath: path)
        else { return [] }
        return names.filter { $0.hasSuffix(".txt") }.sorted()
    }()

    static func load(_ name: String) throws -> Transcript {
        let text = try String(contentsOf: try directory.appendingPathComponent(name), encoding: .utf8)
        return Transcript(name: name, text: text)
    }

    /// Transcripts whose last reply has C: lines garbled in the source (UART overrun); the decoder must
    /// reject exactly these lines, and the rest of the reply must match `# expect`.
    static let garbledLines: [String: [String]] = [
        "13-hologram-server-line-garbled.txt": [
            #"C: 0",""AL""#,
            #"C: 2,,"","","","INI"","INITIAL""#,
            #"C: 4,,"","","",5,,"","","","IN"#,
        ]
    ]
}

@Suite("Transcript corpus (real module logs)")
struct TranscriptCorpusTests {
    @Test("the corpus holds the 27 transcripts of real-logs.md")
    func corpusSize() {
        #expect(Corpus.fileNames.count == 27)
        #expect(Corpus.fileNames.first == "01-tinygsm-link-connected.txt")
        #expect(Corpus.fileNames.last == "27-sim7000g-remote-closing-urc-inside.txt")
    }

    @Test("each transcript has its four header lines", arguments: Corpus.fileNames)
    func headers(name: String) throws {
        let transcript = try Corpus.load(name)
        #expect(transcript.headers.map(\.key) == ["source", "module", "note", "expect"])
        #expect(transcript.headers.allSatisfy { !$0.value.isEmpty })
    }

    @Test("the last status reply decodes to # expect", arguments: Corpus.fileNames)
    func lastReplyMatchesExpectation(name: String) throws {
        let transcript = try Corpus.load(name)
        let json = try #require(transcript.expectation)
        let expected = try JSONDecoder().decode(Expectation.self, from: Data(json.utf8)).expected()
        let reply = try #require(transcript.lastStatusReply, "no status reply in \(name)")
        switch reply {
        case .link(let line):
            #expect(try Transcript.Expected.link(CIPSTATUSDecoder.decodeLink(line)) == expected)
        case .status(let lines):
            let reading = try CIPSTATUSDecoder.readStatus(lines.joined(separator: "\r\n"))
            #expect(reading.unreadable == Corpus.garbledLines[name, default: []])
            if let firstBad = reading.problems.first {
                #expect(throws: firstBad) { try CIPSTATUSDecoder.decodeStatus(lines.joined(separator: "\r\n")) }
            }
            #expect(Transcript.Expected.status(reading.status) == expected)
            #expect(reading.stateReported == (try Self.expectsState(json)))
        }
    }

    /// Whether `# expect` gives a module state (`"state": null` for the A6/A7 layout).
    static func expectsState(_ json: String) throws -> Bool {
        try JSONDecoder().decode(Expectation.self, from: Data(json.utf8)).state != nil
    }

    @Test("13: the garbled C: lines are rejected; STATE and the S: line decode")
    func garbledHologramReply() throws {
        let transcript = try Corpus.load("13-hologram-server-line-garbled.txt")
        #expect(
            transcript.lastStatusReply
                == .status([
                    "STATE: IP PROCESSING", #"S: 0,0,"4010","LISTENING""#, #"C: 0",""AL""#,
                    #"C: 2,,"","","","INI"","INITIAL""#, #"C: 4,,"","","",5,,"","","","IN"#,
                ]))
        #expect(try CIPSTATUSDecoder.decodeLine("STATE: IP PROCESSING") == .state("IP PROCESSING"))
        #expect(
            try CIPSTATUSDecoder.decodeLine(#"S: 0,0,"4010","LISTENING""#)
                == .server(ServerStatus(bearer: 0, port: 4010, state: "LISTENING")))
        for line in [#"C: 0",""AL""#, #"C: 2,,"","","","INI"","INITIAL""#, #"C: 4,,"","","",5,,"","","","IN"#] {
            #expect(throws: CIPSTATUSDecodingError.malformedLink(line)) { try CIPSTATUSDecoder.decodeLine(line) }
        }
        #expect(
            try CIPSTATUSDecoder.decodeStatus("STATE: IP PROCESSING\r\nS: 0,0,\"4010\",\"LISTENING\"\r\n")
                == .multi(.ipProcessing, server: ServerStatus(bearer: 0, port: 4010, state: "LISTENING"), links: []))
    }

    @Test(
        "logger prefixes are stripped",
        arguments: [
            ("\t<--- STATE: PDP DEACT", "STATE: PDP DEACT"),
            (" <--- OK", "OK"),
            ("\t---> AT+CIPSTATUS", "AT+CIPSTATUS"),
            ("<--- ", ""),
            ("---> AT", "AT"),
            ("20:50:37.952 -> +CIPSTATUS: 0,0", "+CIPSTATUS: 0,0"),
            ("20:50:37.952 -> ", ""),
            (" //+CIPSTATUS: 1,0", "+CIPSTATUS: 1,0"),
            ("STATE: IP STATUS", "STATE: IP STATUS"),
            (" <<<<<<<<<<<------", "<<<<<<<<<<<------"),
            ("20:50 -> OK", "20:50 -> OK"),
        ])
    func loggerPrefixes(line: String, stripped: String) {
        #expect(Transcript.stripLoggerPrefixes(line[...]) == stripped[...])
    }

    @Test("the last reply is the last one in the file, not the first")
    func lastReplyIsLast() {
        let transcript = Transcript(
            name: "inline",
            text:
                "# expect: {}\nAT+CIPSTATUS\nOK\nSTATE: IP INITIAL\n"
                + "AT+CIPSTATUS=0\n+CIPSTATUS: 0,,\"\",\"\",\"\",\"INITIAL\"\n"
                + "AT+CIPSTATUS\n<--- OK\n<--- STATE: IP PROCESSING\n\n"
                + "<--- C: 0,,\"\",\"\",\"\",\"INITIAL\"\nOK\nC: 1\n"
        )
        #expect(transcript.lastStatusReply == .status(["STATE: IP PROCESSING", #"C: 0,,"","","","INITIAL""#]))
    }
}
