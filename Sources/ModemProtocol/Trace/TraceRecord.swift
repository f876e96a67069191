/// One record of a serial-line trace (docs/trace.md): what crossed the line in one direction, when,
/// and what it means. A trace file is one JSON object a line:
///
/// ```json
/// {"t":15230,"dir":"host","kind":"command","bytes":"AT+CIPSTATUS\r","name":"+CIPSTATUS"}
/// {"t":15890,"dir":"module","kind":"result","bytes":"\r\nOK\r\n"}
/// {"t":15901,"dir":"module","kind":"status","bytes":"\r\nSTATE: IP INITIAL\r\n","state":"IP INITIAL"}
/// ```
///
/// `bytes` holds the bytes exactly: each byte is the character with the same code point (ISO
/// 8859-1), so printable text reads as text and JSON's own escapes show the rest (`\r`, `\u001a`).
public struct TraceRecord: Sendable, Equatable, Codable {
    /// Who sent the bytes.
    public enum Direction: String, Sendable, Codable, CaseIterable {
        /// The host (firmware, driver) to the module.
        case host
        /// The module to the host.
        case module
        /// Something the network did, where the recorder knows it (the emulator's links).
        case network
    }

    /// What the bytes mean.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A command line from the host.
        case command
        /// The data of `AT+CIPSEND` (or of another data phase) from the host; `length` bytes.
        case data
        /// The module echoing a command line.
        case echo
        /// The `> ` prompt.
        case prompt
        /// A final result: `OK`, `ERROR`, `+CME ERROR: …`, and the TCP/IP application's `SHUT OK`,
        /// `CLOSE OK`, `SEND OK`, `SEND FAIL`, `DATA ACCEPT:…`.
        case result
        /// An unsolicited result code or an outcome that follows a final result (`CONNECT OK`,
        /// `0, CLOSED`, `+PDP: DEACT`, `RDY`, …).
        case urc
        /// A line of `AT+CIPSTATUS`'s reply: `STATE: …` (with `state`), `S: …`, `C: …`, `+CIPSTATUS: …`.
        case status
        /// Information text of a reply (`+CSQ: 20,0`, an address, …).
        case info
        /// Received data the module announced with a header (`+IPD`, `+RECEIVE`, `+CIPRXGET: 2`); `length` bytes.
        case received
        /// Bytes that frame nothing: a partial line at the end of the trace, line noise.
        case other
        /// A network event (`direction` is `network`); `bytes` describes it.
        case event
    }

    /// Microseconds since the trace started.
    public var time: Int64
    public var direction: Direction
    public var kind: Kind
    /// Exactly the bytes that crossed the line (for an event, its description).
    public var bytes: [UInt8]
    /// A command's name (`+CIPSTART`, `E`), or a result's text without the link (`CONNECT OK`).
    public var name: String?
    /// The link a result, URC or data belongs to (multi-connection mode).
    public var link: Int?
    /// The number of data bytes (`data`, `received`, `DATA ACCEPT`).
    public var length: Int?
    /// The state word of a `STATE:` line.
    public var state: String?

    public init(
        time: Int64, direction: Direction, kind: Kind, bytes: [UInt8], name: String? = nil, link: Int? = nil,
        length: Int? = nil, state: String? = nil
    ) {
        self.time = time
        self.direction = direction
        self.kind = kind
        self.bytes = bytes
        self.name = name
        self.link = link
        self.length = length
        self.state = state
    }

    enum CodingKeys: String, CodingKey {
        case time = "t", direction = "dir", kind, bytes, name, link, length, state
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        time = try container.decode(Int64.self, forKey: .time)
        direction = try container.decode(Direction.self, forKey: .direction)
        kind = try container.decode(Kind.self, forKey: .kind)
        let text = try container.decode(String.self, forKey: .bytes)
        guard let bytes = Self.bytes(latin1: text) else {
            throw DecodingError.dataCorruptedError(
                forKey: .bytes, in: container, debugDescription: "a character above U+00FF is not a byte")
        }
        self.bytes = bytes
        name = try container.decodeIfPresent(String.self, forKey: .name)
        link = try container.decodeIfPresent(Int.self, forKey: .link)
        length = try container.decodeIfPresent(Int.self, forKey: .length)
        state = try container.decodeIfPresent(String.self, forKey: .state)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(time, forKey: .time)
        try container.encode(direction, forKey: .direction)
        try container.encode(kind, forKey: .kind)
        try container.encode(Self.latin1(bytes), forKey: .bytes)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encodeIfPresent(link, forKey: .link)
        try container.encodeIfPresent(length, forKey: .length)
        try container.encodeIfPresent(state, forKey: .state)
    }

    /// The record as one line of JSON with its newline, keys in the documented order.
    public var jsonLine: String {
        var line = "{\"t\":\(time),\"dir\":\"\(direction.rawValue)\",\"kind\":\"\(kind.rawValue)\",\"bytes\":"
        line += Self.jsonString(Self.latin1(bytes))
        if let name { line += ",\"name\":" + Self.jsonString(name) }
        if let link { line += ",\"link\":\(link)" }
        if let length { line += ",\"length\":\(length)" }
        if let state { line += ",\"state\":" + Self.jsonString(state) }
        return line + "}\n"
    }

    /// Each byte as the character with its code point.
    public static func latin1(_ bytes: [UInt8]) -> String {
        String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    /// The bytes of a string whose characters are all U+0000–U+00FF; `nil` otherwise.
    public static func bytes(latin1 text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard scalar.value <= 0xFF else { return nil }
            bytes.append(UInt8(scalar.value))
        }
        return bytes
    }

    /// `text` as a JSON string literal (RFC 8259: `"`, `\` and control characters escaped).
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
