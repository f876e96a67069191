import Foundation
import ModemProtocol
import TestSupport
import Testing

/// Real module captures of the transcript corpus, converted to traces: every line decodes to a
/// step of its own, and `modem trace show` prints each one.
@Suite("Trace of real captures")
struct TraceCorpusTests {
    /// A transcript as the chunks that crossed the line: command lines from the host (with CR LF),
    /// every other line from the module (framed `\r\n…\r\n`). A log shows data approximately, so
    /// data is converted: `>text` is the prompt and `text` sent after it (the `AT+CIPSEND` length
    /// set to the text's), and a data header's length is set to the lines that follow it up to `OK`.
    static func chunks(_ transcript: Transcript) -> [(TraceRecord.Direction, String)] {
        var chunks: [(TraceRecord.Direction, String)] = []
        var lastSend: Int?
        var lines = transcript.log.map(Transcript.stripLoggerPrefixes)[...]
        while let line = lines.popFirst() {
            if line.uppercased().hasPrefix("AT") {
                if line.uppercased().hasPrefix("AT+CIPSEND") { lastSend = chunks.count }
                chunks.append((.host, line + "\r\n"))
            } else if line.hasPrefix(">") {
                // The data is on the prompt's line, or (a log that broke the line) on the next one.
                var data = line.dropFirst()
                if data.isEmpty {
                    while lines.first?.isEmpty == true { lines.removeFirst() }
                    if let next = lines.first, ModuleResult(line: String(next)) == nil { data = lines.removeFirst() }
                }
                chunks.append((.module, "\r\n> "))
                // A log that shows no data: the send is taken as one of no bytes.
                if !data.isEmpty { chunks.append((.host, String(data))) }
                if let send = lastSend, let equals = chunks[send].1.lastIndex(where: { $0 == "," || $0 == "=" }) {
                    chunks[send].1 = chunks[send].1[...equals] + "\(data.utf8.count)\r\n"
                }
            } else if let header = dataHeader(line) {
                var data: [Substring] = []
                while let next = lines.first, next != "OK" { data.append(lines.removeFirst()) }
                while data.last?.allSatisfy({ $0 == " " }) == true && data.count > 1 { data.removeLast() }
                let text = data.joined(separator: "\r\n")
                chunks.append((.module, "\r\n" + header(text.utf8.count) + text))
            } else if !line.allSatisfy({ $0 == " " }) {
                chunks.append((.module, "\r\n" + line + "\r\n"))
            }
        }
        return chunks
    }

    /// `+CIPRXGET: 2,<n>,<len>,<rest>` or `+RECEIVE,<n>,<len>:`, rewritten for a given length.
    static func dataHeader(_ line: Substring) -> ((Int) -> String)? {
        if line.hasPrefix("+CIPRXGET: 2,") {
            var fields = line.split(separator: ",").map(String.init)
            guard fields.count == 4 else { return nil }
            return { length in
                fields[2] = "\(length)"
                return fields.joined(separator: ",") + "\r\n"
            }
        }
        if line.hasPrefix("+RECEIVE,"), line.hasSuffix(":") {
            let fields = line.dropLast().split(separator: ",")
            guard fields.count == 3 else { return nil }
            return { "+RECEIVE,\(fields[1]),\($0):\r\n" }
        }
        return nil
    }

    static func records(_ chunks: [(TraceRecord.Direction, String)]) -> [TraceRecord] {
        var decoder = TraceDecoder()
        var records: [TraceRecord] = []
        for (time, (direction, text)) in chunks.enumerated() {
            let bytes = Array(text.utf8)
            let time = Int64(time) * 1000
            records += direction == .host ? decoder.host(bytes, at: time) : decoder.module(bytes, at: time)
        }
        return records + decoder.finish(at: Int64(chunks.count) * 1000)
    }

    @Test("every line of every capture is one decoded step", arguments: Corpus.fileNames)
    func decoded(_ name: String) throws {
        let chunks = Self.chunks(try Corpus.load(name))
        let records = Self.records(chunks)
        #expect(!records.contains { $0.kind == .other }, "\(records.filter { $0.kind == .other })")
        #expect(records.count == chunks.count)
        for (record, chunk) in zip(records, chunks) {
            #expect(TraceRecord.latin1(record.bytes) == chunk.1)
        }
        let statusLines = chunks.filter { $0.1.contains("STATE: ") || $0.1.hasPrefix("\r\nC: ") }.count
        #expect(records.filter { $0.kind == .status }.count >= statusLines)
    }

    @Test(
        "modem trace show prints every step of a converted capture",
        .enabled(if: modemExecutable != nil), arguments: Corpus.fileNames)
    func shown(_ name: String) async throws {
        let chunks = Self.chunks(try Corpus.load(name))
        let records = Self.records(chunks)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-\(name).trace").path
        try records.map(\.jsonLine).joined().write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await runModem(["trace", "show", path])
        #expect(run.status == 0, "\(run.error)")
        let lines = run.output.split(separator: "\n")
        #expect(lines.count == records.count)
        for (line, (chunk, record)) in zip(lines, zip(chunks, records)) {
            let text = chunk.1.trimmingCharacters(in: .whitespacesAndNewlines)
            switch record.kind {
            case .data, .received: #expect(line.contains("[\(record.length ?? -1) bytes]"), "\(line)")
            case .prompt: #expect(line.hasSuffix("← >"), "\(line)")
            case .echo: #expect(line.contains("← (echo) \(text)"), "\(line)")
            default: #expect(line.contains(chunk.0 == .host ? "→ \(text)" : "← \(text)"), "\(line)")
            }
        }
    }
}
