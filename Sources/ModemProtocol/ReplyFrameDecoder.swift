/// One frame of what a module writes to the host.
public enum ReplyFrame: Equatable, Sendable {
    /// A line without its terminator; never empty.
    case line(String)
    /// The `> ` prompt of `AT+CIPSEND` (SIM800 manual §8.2.3), which has no line terminator.
    case prompt
    /// A header that announces raw bytes and exactly those bytes: `+CIPRXGET: 2,<n>,<len>,<rest>`
    /// (§8.2.26), `+RECEIVE,<n>,<len>:` (§8.2.3, multi connection) or `+IPD,<len>:` (`AT+CIPHEAD=1`).
    case data(header: String, bytes: [UInt8])
}

/// Frames the bytes a module writes into lines, prompts and length-counted data blocks.
///
/// Lines end at CR, LF or CRLF; blank lines are dropped. After a header that announces a byte
/// count the decoder counts bytes instead of looking for line ends, so payloads may contain CR, LF
/// or anything else. A LF directly after the CR that ended the header is part of the header's
/// terminator, not of the payload. Lines longer than ``maximumLineLength`` are cut there, so that
/// line noise cannot grow the buffer without bound.
public struct ReplyFrameDecoder: Sendable {
    /// The longest line kept, in bytes.
    public let maximumLineLength: Int
    /// The largest byte count a header may announce; longer counts are taken as text lines.
    public let maximumDataLength: Int

    private enum Phase: Sendable {
        case lines
        case counting(header: String, remaining: Int)
    }

    private var phase: Phase = .lines
    private var buffer: [UInt8] = []
    private var skipLineFeed = false

    /// Creates a decoder.
    public init(maximumLineLength: Int = 4096, maximumDataLength: Int = 65_536) {
        self.maximumLineLength = maximumLineLength
        self.maximumDataLength = maximumDataLength
    }

    /// Whether part of a line or of a data block is held.
    public var hasPartialFrame: Bool {
        if case .counting = phase { return true }
        return !buffer.isEmpty
    }

    /// Consumes bytes from the front of `input` until one frame is complete or `input` is empty.
    public mutating func next(_ input: inout ArraySlice<UInt8>) -> ReplyFrame? {
        while let byte = input.first {
            input = input.dropFirst()
            let skip = skipLineFeed
            skipLineFeed = false
            switch phase {
            case .counting(let header, let remaining):
                if skip, byte == 0x0A { continue }
                buffer.append(byte)
                if remaining == 1 {
                    return finishData(header: header)
                }
                phase = .counting(header: header, remaining: remaining - 1)
            case .lines:
                if byte == 0x0A, skip { continue }
                if byte == 0x0D || byte == 0x0A {
                    skipLineFeed = byte == 0x0D
                    if let frame = endLine() { return frame }
                    continue
                }
                buffer.append(byte)
                if buffer.count == 2, buffer[0] == UInt8(ascii: ">"), buffer[1] == UInt8(ascii: " ") {
                    buffer.removeAll(keepingCapacity: true)
                    return .prompt
                }
                if byte == UInt8(ascii: ":"), let length = Self.inlineDataLength(buffer), length <= maximumDataLength {
                    let header = String(decoding: buffer, as: UTF8.self)
                    buffer.removeAll(keepingCapacity: true)
                    if length == 0 { return .data(header: header, bytes: []) }
                    phase = .counting(header: header, remaining: length)
                    continue
                }
                if buffer.count >= maximumLineLength {
                    let line = String(decoding: buffer, as: UTF8.self)
                    buffer.removeAll(keepingCapacity: true)
                    return .line(line)
                }
            }
        }
        return nil
    }

    /// Decodes all of `bytes`, for tests and tools.
    public mutating func frames(_ bytes: some Sequence<UInt8>) -> [ReplyFrame] {
        var input = ArraySlice(Array(bytes))
        var frames: [ReplyFrame] = []
        while let frame = next(&input) { frames.append(frame) }
        return frames
    }

    private mutating func finishData(header: String) -> ReplyFrame {
        let bytes = buffer
        buffer.removeAll(keepingCapacity: true)
        phase = .lines
        return .data(header: header, bytes: bytes)
    }

    private mutating func endLine() -> ReplyFrame? {
        guard !buffer.isEmpty else { return nil }
        let line = String(decoding: buffer, as: UTF8.self)
        buffer.removeAll(keepingCapacity: true)
        if let length = Self.lineDataLength(line), length <= maximumDataLength {
            if length == 0 { return .data(header: line, bytes: []) }
            phase = .counting(header: line, remaining: length)
            return nil
        }
        return .line(line)
    }

    /// `+CIPRXGET: 2,<n>,<len>,<rest>` (multi) or `+CIPRXGET: 2,<len>,<rest>` (single), and
    /// `+RECEIVE,<n>,<len>:`: the data follows the line.
    static func lineDataLength(_ line: String) -> Int? {
        if line.hasPrefix("+CIPRXGET:") {
            let fields = line.dropFirst("+CIPRXGET:".count).split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: " ") }
            guard fields.first == "2", fields.allSatisfy({ decimal($0) != nil }) else { return nil }
            switch fields.count {
            case 4: return decimal(fields[2])
            case 3: return decimal(fields[1])
            default: return nil
            }
        }
        if line.hasPrefix("+RECEIVE,"), line.hasSuffix(":") {
            let fields = line.dropFirst("+RECEIVE,".count).dropLast().split(separator: ",")
            guard fields.count == 2, decimal(Substring(fields[0])) != nil else { return nil }
            return decimal(Substring(fields[1]))
        }
        return nil
    }

    /// `+IPD,<len>:` and `+IPD,<n>,<len>:`: the data follows the colon on the same line.
    static func inlineDataLength(_ buffer: [UInt8]) -> Int? {
        let prefix = Array("+IPD,".utf8)
        guard buffer.count > prefix.count + 1, buffer.starts(with: prefix) else { return nil }
        let text = String(decoding: buffer.dropFirst(prefix.count).dropLast(), as: UTF8.self)
        let fields = text.split(separator: ",", omittingEmptySubsequences: false)
        guard (1...2).contains(fields.count), fields.allSatisfy({ decimal($0) != nil }) else { return nil }
        return decimal(fields[fields.count - 1])
    }

    static func decimal(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 7, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return Int(text)
    }
}

