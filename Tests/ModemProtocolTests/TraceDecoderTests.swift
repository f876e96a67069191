import Foundation
import ModemProtocol
import TestSupport
import Testing

/// The trace decoder: every byte kept, each step of a conversation named as a host driver and the
/// module would name it, whatever the chunking.
@Suite("Trace decoder")
struct TraceDecoderTests {
    /// A session in single mode with echo on: a status query, a send, received data, a close.
    static let session: [(TraceRecord.Direction, String)] = [
        (.host, "AT+CIPSTATUS\r\n"),
        (.module, "AT+CIPSTATUS\r\r\nOK\r\n\r\nSTATE: CONNECT OK\r\n"),
        (.host, "AT+CIPSEND=5\r\n"),
        (.module, "AT+CIPSEND=5\r\r\n> "),
        (.host, "hel\rl"),
        (.module, "\r\nSEND OK\r\n"),
        (.module, "\r\n+IPD,4:a\r\nb\r\nCLOSED\r\n"),
        (.host, "AT+CSQ\r"),
        (.module, "AT+CSQ\r\r\n+CSQ: 20,0\r\n\r\nOK\r\n"),
    ]

    static func decode(_ chunks: [(TraceRecord.Direction, [UInt8])]) -> [TraceRecord] {
        var decoder = TraceDecoder()
        var records: [TraceRecord] = []
        for (time, (direction, bytes)) in chunks.enumerated() {
            records += direction == .host ? decoder.host(bytes, at: Int64(time)) : decoder.module(bytes, at: Int64(time))
        }
        return records + decoder.finish(at: Int64(chunks.count))
    }

    @Test("each step is named, with the bytes that carried it")
    func steps() {
        let records = Self.decode(Self.session.map { ($0.0, Array($0.1.utf8)) })
        let summary = records.map { "\($0.direction.rawValue) \($0.kind.rawValue) \(TraceRecord.latin1($0.bytes).debugDescription)" }
        #expect(
            summary == [
                #"host command "AT+CIPSTATUS\r\n""#,
                #"module echo "AT+CIPSTATUS\r""#,
                #"module result "\r\nOK\r\n""#,
                #"module status "\r\nSTATE: CONNECT OK\r\n""#,
                #"host command "AT+CIPSEND=5\r\n""#,
                #"module echo "AT+CIPSEND=5\r""#,
                #"module prompt "\r\n> ""#,
                #"host data "hel\rl""#,
                #"module result "\r\nSEND OK\r\n""#,
                #"module received "\r\n+IPD,4:a\r\nb""#,
                #"module urc "\r\nCLOSED\r\n""#,
                #"host command "AT+CSQ\r""#,
                #"module echo "AT+CSQ\r""#,
                #"module info "\r\n+CSQ: 20,0\r\n""#,
                #"module result "\r\nOK\r\n""#,
            ])
        #expect(records[0].name == "+CIPSTATUS")
        #expect(records[3].state == "CONNECT OK")
        #expect(records[7].length == 5)
        #expect(records[9].length == 4)
    }

    @Test("multi mode: links of results, URCs and data; AT+CIPSEND=<n> waits for Ctrl-Z")
    func multiMode() {
        let records = Self.decode([
            (.host, Array("AT+CIPMUX=1\r".utf8)), (.module, Array("\r\nOK\r\n".utf8)),
            (.host, Array("AT+CIPSEND=1\r".utf8)), (.module, Array("\r\n> ".utf8)),
            (.host, Array("abc".utf8) + [0x1A]), (.module, Array("\r\n1, SEND OK\r\n".utf8)),
            (.module, Array("\r\n+RECEIVE,1,2:\r\nxy\r\n0, CLOSED\r\n\r\nDATA ACCEPT:2,10\r\n".utf8)),
        ])
        let data = records.first { $0.kind == .data }
        #expect(data?.length == 3)
        let send = records.first { $0.name == "SEND OK" }
        #expect(send?.kind == .result && send?.link == 1)
        let received = records.first { $0.kind == .received }
        #expect(received?.link == 1 && received?.length == 2)
        let closed = records.first { $0.name == "CLOSED" }
        #expect(closed?.kind == .urc && closed?.link == 0)
        let accept = records.last
        #expect(accept?.kind == .result && accept?.link == 2 && accept?.length == 10)
    }

    @Test("property: any chunking gives the same records, and no byte is lost or added", arguments: 0..<16)
    func chunking(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let whole = Self.decode(Self.session.map { ($0.0, Array($0.1.utf8)) })
        var chunks: [(TraceRecord.Direction, [UInt8])] = []
        for (direction, text) in Self.session {
            var bytes = Array(text.utf8)[...]
            while !bytes.isEmpty {
                let count = Int.random(in: 1...max(1, bytes.count), using: &rng)
                chunks.append((direction, Array(bytes.prefix(count))))
                bytes = bytes.dropFirst(count)
            }
        }
        let split = Self.decode(chunks)
        // An LF that arrives apart from its CR starts the next record; at the end it is one of its own.
        let trailing = split.last.map { $0.kind == .other && $0.bytes == [0x0A] } == true
        #expect(split.dropLast(trailing ? 1 : 0).map(\.kind) == whole.map(\.kind))
        for direction in [TraceRecord.Direction.host, .module] {
            let sent = Self.session.filter { $0.0 == direction }.flatMap { Array($0.1.utf8) }
            #expect(split.filter { $0.direction == direction }.flatMap(\.bytes) == sent)
        }
    }

    @Test("property: random bytes in both directions never crash and are all kept", arguments: 0..<8)
    func randomBytes(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var decoder = TraceDecoder()
        var sent: [TraceRecord.Direction: [UInt8]] = [:]
        var kept: [TraceRecord.Direction: [UInt8]] = [:]
        let alphabet = Array("AT+CIPSEND=5,\r\n> OK:IPD,RECEIVE\u{1A}\u{1B}".utf8) + [0, 0x80, 0xFF]
        for time in 0..<400 {
            let direction: TraceRecord.Direction = Bool.random(using: &rng) ? .host : .module
            let bytes = (0..<Int.random(in: 1...20, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            sent[direction, default: []] += bytes
            let records = direction == .host ? decoder.host(bytes, at: Int64(time)) : decoder.module(bytes, at: Int64(time))
            for record in records { kept[record.direction, default: []] += record.bytes }
        }
        for record in decoder.finish(at: 400) { kept[record.direction, default: []] += record.bytes }
        #expect(kept[.host, default: []] == sent[.host, default: []])
        #expect(kept[.module, default: []] == sent[.module, default: []])
    }

    @Test("a record's JSON line decodes back to the record, control and high bytes included")
    func json() throws {
        let record = TraceRecord(
            time: 1_234_567, direction: .module, kind: .received, bytes: [0x0D, 0x0A, 0x22, 0x5C, 0x1A, 0x00, 0x80, 0xFF],
            name: "x\"y", link: 3, length: 8, state: "CONNECT OK")
        let line = record.jsonLine
        #expect(line.hasPrefix(#"{"t":1234567,"dir":"module","kind":"received","bytes":"\r\n\"\\\u001a\u0000"#))
        #expect(line.hasSuffix("}\n"))
        let decoded = try JSONDecoder().decode(TraceRecord.self, from: Data(line.utf8))
        #expect(decoded == record)
        let bad = #"{"t":1,"dir":"host","kind":"command","bytes":"\u0100"}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TraceRecord.self, from: Data(bad.utf8)) }
    }

    @Test("the readable form: ms, arrows, data summarised")
    func text() {
        let records = Self.decode(Self.session.map { ($0.0, Array($0.1.utf8)) }).map { TraceText($0).description }
        #expect(records[0] == "    0.000 → AT+CIPSTATUS")
        #expect(records[7] == "    0.004 → [5 bytes]")
        #expect(records[6] == "    0.003 ← >")
    }
}
