/// Turns the bytes of a serial session, as they cross the line in either direction, into
/// ``TraceRecord``s: host bytes are framed as the module frames them (``SerialLineReader``:
/// command lines, and the data phase a `> ` prompt opens), module bytes as a host driver frames
/// them (``ReplyFrameDecoder``: lines, prompts, counted data). Each record carries exactly the bytes
/// consumed since the previous record in its direction, so a trace keeps every byte.
///
/// The same decoder serves the emulator's `--trace`, the tap, and reading a real module's capture.
public struct TraceDecoder: Sendable {
    private var reader = SerialLineReader(maximumLineLength: 4096)
    private var frames = ReplyFrameDecoder()
    /// Host bytes consumed since the last host record.
    private var hostPending: [UInt8] = []
    /// Module bytes consumed since the last module record.
    private var modulePending: [UInt8] = []
    /// Command lines whose echo has not been seen yet, oldest first (at most eight: a host that
    /// writes ahead of the replies).
    private var unechoed: [[UInt8]] = []
    /// The data phase the next `> ` prompt opens (`AT+CIPSEND` sent, prompt not seen yet).
    private var awaitedData: SerialLineReader.Phase?
    /// `AT+CIPMUX=1` was sent: `AT+CIPSEND=<n>` names a link, not a length.
    private var multiConnection = false

    public init() {}

    /// Records for bytes the host wrote at `time` (µs).
    public mutating func host(_ bytes: [UInt8], at time: Int64) -> [TraceRecord] {
        var records: [TraceRecord] = []
        var input = bytes[...]
        while !input.isEmpty {
            let before = input.count
            let start = input.startIndex
            let frame = reader.nextFrame(&input)
            hostPending += bytes[start..<(start + before - input.count)]
            guard let frame else { continue }
            let frameBytes = reader.frameBytes
            if frame == .line, input.first == SerialLineReader.lineFeed {
                // The LF of a CRLF line end belongs to this line (the reader skips it).
                var lineFeed = input.prefix(1)
                _ = reader.nextFrame(&lineFeed)
                hostPending.append(SerialLineReader.lineFeed)
                input = input.dropFirst()
            }
            records.append(hostRecord(frame, frameBytes, at: time))
        }
        return records
    }

    /// Records for bytes the module wrote at `time` (µs).
    public mutating func module(_ bytes: [UInt8], at time: Int64) -> [TraceRecord] {
        var records: [TraceRecord] = []
        var input = bytes[...]
        while !input.isEmpty {
            let before = input.count
            let start = input.startIndex
            let frame = frames.next(&input)
            modulePending += bytes[start..<(start + before - input.count)]
            guard let frame else { continue }
            if Self.endsAtLineEnd(frame), modulePending.last == 0x0D, input.first == 0x0A {
                // The LF of the line's CRLF belongs to it (the framer skips it).
                var lineFeed = input.prefix(1)
                _ = frames.next(&lineFeed)
                modulePending.append(0x0A)
                input = input.dropFirst()
            }
            records.append(moduleRecord(frame, at: time))
        }
        return records
    }

    /// A line, or a data header announcing no bytes: its CR may be followed by the LF of a CRLF.
    private static func endsAtLineEnd(_ frame: ReplyFrame) -> Bool {
        switch frame {
        case .line: true
        case .data(_, let bytes): bytes.isEmpty
        case .prompt: false
        }
    }

    /// Whatever is held in either direction that did not complete a frame, as `other` records
    /// (the end of a trace).
    public mutating func finish(at time: Int64) -> [TraceRecord] {
        var records: [TraceRecord] = []
        if !hostPending.isEmpty { records.append(take(.host, .other, at: time)) }
        if !modulePending.isEmpty { records.append(take(.module, .other, at: time)) }
        return records
    }

    // MARK: Host

    private mutating func hostRecord(_ frame: SerialLineReader.Frame, _ frameBytes: [UInt8], at time: Int64)
        -> TraceRecord
    {
        switch frame {
        case .line:
            let line = frameBytes
            unechoed.append(line)
            if unechoed.count > 8 { unechoed.removeFirst() }
            let commands = try? ATCommandParser.parse(line)
            if let mux = commands?.last(where: { $0.name == "+CIPMUX" }), case .write(let arguments) = mux.form {
                multiConnection = arguments.first?.integer == 1
            }
            awaitedData = commands.flatMap { Self.dataPhase($0, multiConnection: multiConnection) }
            // A bare `AT` is a line without commands.
            let name = commands.map { $0.first?.name ?? "AT" }
            return take(.host, .command, at: time, name: name)
        case .lineTooLong:
            return take(.host, .command, at: time)
        case .data:
            return take(.host, .data, at: time, length: frameBytes.count)
        case .dataCancelled:
            return take(.host, .data, at: time, name: "ESC", length: 0)
        }
    }

    /// The data phase a command line's `AT+CIPSEND` opens, as the SIM800 frames it.
    private static func dataPhase(_ commands: [ATCommand], multiConnection: Bool) -> SerialLineReader.Phase? {
        guard let send = commands.last, send.name == "+CIPSEND" else { return nil }
        switch send.form {
        case .execute:
            return .dataUntilCtrlZ(maximum: 1460)
        case .write(let arguments):
            // Single mode: `=<length>`; multi mode: `=<n>` (Ctrl-Z) or `=<n>,<length>`.
            let values = arguments.map(\.integer)
            if values.count == 2, let length = values[1] { return .dataFixed(length: length) }
            if values.count == 1, let value = values[0] {
                return multiConnection ? .dataUntilCtrlZ(maximum: 1460) : .dataFixed(length: value)
            }
            return nil
        case .read, .test:
            return nil
        }
    }

    // MARK: Module

    private mutating func moduleRecord(_ frame: ReplyFrame, at time: Int64) -> TraceRecord {
        switch frame {
        case .prompt:
            if let phase = awaitedData {
                reader.beginData(phase)
                awaitedData = nil
            }
            return take(.module, .prompt, at: time)
        case .data(let header, let bytes):
            return take(.module, .received, at: time, link: Self.link(ofDataHeader: header), length: bytes.count)
        case .line(let text):
            if let echoed = unechoed.firstIndex(of: Array(text.utf8)) {
                unechoed.removeFirst(echoed + 1)
                return take(.module, .echo, at: time)
            }
            return classify(text, at: time)
        }
    }

    private mutating func classify(_ text: String, at time: Int64) -> TraceRecord {
        if Self.finalResults.contains(text) || text.hasPrefix("+CME ERROR") || text.hasPrefix("+CMS ERROR") {
            return take(.module, .result, at: time, name: text)
        }
        if text.hasPrefix("STATE: ") {
            return take(.module, .status, at: time, state: String(text.dropFirst("STATE: ".count)))
        }
        if text.hasPrefix("C: ") || text.hasPrefix("S: ") || text.hasPrefix("+CIPSTATUS:") {
            return take(.module, .status, at: time)
        }
        if let result = ModuleResult(line: text) {
            let (name, link, length) = Self.describe(result)
            let kind: TraceRecord.Kind = Self.isFinal(result) ? .result : .urc
            return take(.module, kind, at: time, name: name, link: link, length: length)
        }
        return take(.module, .info, at: time)
    }

    static let finalResults: Set<String> = [
        "OK", "ERROR", "NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE", "CONNECT", "0", "3", "4", "6", "7", "8",
    ]

    /// The TCP/IP application's results that end a command.
    private static func isFinal(_ result: ModuleResult) -> Bool {
        switch result {
        case .shutOK, .closeOK, .sendOK, .sendFail, .dataAccept: true
        default: false
        }
    }

    /// A result's text without its link, its link, and a length it carries.
    private static func describe(_ result: ModuleResult) -> (String, Int?, Int?) {
        var link: Int?
        var length: Int?
        switch result {
        case .connectOK(let n), .connectFail(let n), .alreadyConnect(let n), .closed(let n), .closeOK(let n),
            .sendOK(let n), .sendFail(let n), .dataAvailable(let n):
            link = n
        case .dataAccept(let n, let count):
            (link, length) = (n, count)
        case .remoteIP(let n, _):
            link = n
        default:
            break
        }
        var name = result.line
        if let link, name.hasPrefix("\(link), ") { name.removeFirst("\(link), ".count) }
        return (name, link, length)
    }

    /// `+RECEIVE,<n>,<len>:`, `+IPD,<n>,<len>:`, `+CIPRXGET: 2,<n>,<len>,<rest>`: the link.
    private static func link(ofDataHeader header: String) -> Int? {
        let body: Substring
        if header.hasPrefix("+CIPRXGET:") {
            let fields = header.dropFirst("+CIPRXGET:".count).split(separator: ",").map { $0.trimmingCharacters(in: " ") }
            return fields.count == 4 ? Int(fields[1]) : nil
        } else if header.hasPrefix("+RECEIVE,") {
            body = header.dropFirst("+RECEIVE,".count)
        } else if header.hasPrefix("+IPD,") {
            body = header.dropFirst("+IPD,".count)
        } else {
            return nil
        }
        let fields = body.dropLast().split(separator: ",")
        return fields.count == 2 ? Int(fields[0]) : nil
    }

    // MARK: Records

    private mutating func take(
        _ direction: TraceRecord.Direction, _ kind: TraceRecord.Kind, at time: Int64, name: String? = nil,
        link: Int? = nil, length: Int? = nil, state: String? = nil
    ) -> TraceRecord {
        let bytes: [UInt8]
        if direction == .host {
            bytes = hostPending
            hostPending.removeAll(keepingCapacity: true)
        } else {
            bytes = modulePending
            modulePending.removeAll(keepingCapacity: true)
        }
        return TraceRecord(
            time: time, direction: direction, kind: kind, bytes: bytes, name: name, link: link, length: length,
            state: state)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var text = self
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return text
    }
}
