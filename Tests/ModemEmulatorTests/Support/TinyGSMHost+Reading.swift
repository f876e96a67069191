import Foundation

extension TinyGSMHost {
    // MARK: - Reading

    /// What one `waitResponse` saw.
    struct Wait: Sendable {
        /// 1-based index of the token that matched; 0 when none did.
        var index: Int
        /// TinyGSM's `data` at the end (bytes `<= 0` dropped, cleared by each recognised URC).
        var data: String
        var urcs: [URC]
        var consumed: [UInt8]
    }

    enum ScanMode: Sendable {
        /// Until a token matches.
        case tokens
        /// Until one URC has been handled (`maintain()` waiting for data).
        case firstURC
        /// Whatever has arrived (`while (stream.available()) waitResponse(15, nullptr, nullptr)`).
        case drain(force: Bool)
    }

    /// `waitResponse(timeout, r1, r2, …)`: the index of the first token that `data` ends with.
    @discardableResult
    func waitResponse(
        _ tokens: [String] = ["OK\r\n", "ERROR\r\n"], timeout: Duration = .seconds(1)
    ) async throws -> Wait {
        let needles = tokens.map { Array($0.utf8) }
        let muxCount = muxCount
        let wait = try await stream.read("TinyGSM waitResponse(\(tokens))", within: timeout) { slice in
            Self.scan(slice, tokens: needles, mode: .tokens, muxCount: muxCount)
        }
        handle(wait)
        return wait
    }

    /// Waits until the URC handler has recognised one URC.
    func waitForURC(timeout: Duration = .seconds(10)) async throws {
        let muxCount = muxCount
        let wait = try await stream.read("a URC", within: timeout) { slice in
            Self.scan(slice, tokens: [], mode: .firstURC, muxCount: muxCount)
        }
        handle(wait)
    }

    /// Handles whatever has arrived: the drain loop of `maintain()` and `streamClear()`.
    func drain() async throws {
        let muxCount = muxCount
        let wait: Wait
        do {
            wait = try await stream.read("arrived bytes", within: .milliseconds(50)) { slice in
                Self.scan(slice, tokens: [], mode: .drain(force: false), muxCount: muxCount)
            }
        } catch is StreamTimeout {
            // A partial line stayed partial for 50 ms (TinyGSM's waitResponse(15/50) gives up too).
            wait = try await stream.read("arrived bytes", within: .seconds(1)) { slice in
                Self.scan(slice, tokens: [], mode: .drain(force: true), muxCount: muxCount)
            }
        }
        handle(wait)
    }

    private func handle(_ wait: Wait) {
        record(wait.consumed)
        for urc in wait.urcs {
            urcs.append(urc)
            switch urc {
            case .gotData(let mux): sockets[mux]?.gotData = true
            case .closed(let mux): sockets[mux]?.connected = false
            case .network: break
            }
        }
    }

    /// `streamSkipUntil(c)`.
    func skipUntil(_ character: Character, timeout: Duration = .seconds(1)) async throws {
        let target = character.asciiValue!
        let consumed = try await stream.read("skip until '\(character)'", within: timeout) { slice -> (consumed: Int, value: [UInt8])? in
            guard let index = slice.firstIndex(of: target) else { return nil }
            return (index + 1 - slice.startIndex, Array(slice[...index]))
        }
        record(consumed)
    }

    /// `streamGetIntBefore(c)`: up to 7 bytes before `c` (consumed), through `atoi`; -9999 when
    /// nothing or 7 bytes came before it.
    func getIntBefore(_ character: Character, timeout: Duration = .seconds(1)) async throws -> Int {
        let target = character.asciiValue!
        let (value, consumed) = try await stream.read("int before '\(character)'", within: timeout) { slice -> (consumed: Int, value: (Int, [UInt8]))? in
            guard let (value, next) = Self.intBefore(target, in: slice, from: slice.startIndex) else { return nil }
            return (next - slice.startIndex, (value, Array(slice[..<next])))
        }
        record(consumed)
        return value
    }

    /// `stream.readStringUntil(c)`: the text before `c`; `c` is consumed.
    func readStringUntil(_ character: Character, timeout: Duration = .seconds(1)) async throws -> String {
        let target = character.asciiValue!
        let bytes = try await stream.read("string until '\(character)'", within: timeout) { slice -> (consumed: Int, value: [UInt8])? in
            guard let index = slice.firstIndex(of: target) else { return nil }
            return (index + 1 - slice.startIndex, Array(slice[...index]))
        }
        record(bytes)
        return String(decoding: bytes.dropLast(), as: UTF8.self)
    }

    /// `Stream::parseInt()`: skips to the first digit or `-`, reads digits; the byte after them stays.
    func parseInt(timeout: Duration = .seconds(1)) async throws -> Int {
        let (value, consumed) = try await stream.read("parseInt", within: timeout) { slice -> (consumed: Int, value: (Int, [UInt8]))? in
            guard let start = slice.firstIndex(where: { $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0) }) else {
                return nil
            }
            var end = start + 1
            while end < slice.endIndex, (0x30...0x39).contains(slice[end]) { end += 1 }
            guard end < slice.endIndex else { return nil }  // more digits may follow
            let text = String(decoding: slice[start..<end], as: UTF8.self)
            return (end - slice.startIndex, (Int(text) ?? 0, Array(slice[..<end])))
        }
        record(consumed)
        return value
    }

    /// Exactly `count` raw bytes (`stream.read()` per byte).
    func readRaw(_ count: Int, timeout: Duration = .seconds(1)) async throws -> [UInt8] {
        let bytes = try await stream.read(count: count, within: timeout)
        record("<\(count) bytes>")
        return bytes
    }

    /// TinyGSM's scan of one `waitResponse` over the bytes that have arrived; nil until it is done.
    static func scan(
        _ slice: ArraySlice<UInt8>, tokens: [[UInt8]], mode: ScanMode, muxCount: Int
    ) -> (consumed: Int, value: Wait)? {
        var data: [UInt8] = []
        var urcs: [URC] = []
        var index = slice.startIndex
        func finish(_ match: Int) -> (consumed: Int, value: Wait) {
            (index - slice.startIndex,
             Wait(index: match, data: String(decoding: data, as: UTF8.self), urcs: urcs, consumed: Array(slice[..<index])))
        }
        while index < slice.endIndex {
            let byte = slice[index]
            index += 1
            if byte == 0 || byte >= 0x80 { continue }  // `int8_t a = read(); if (a <= 0) continue;`
            data.append(byte)
            if let match = tokens.firstIndex(where: { data.ends(with: $0) }) { return finish(match + 1) }
            // handleURCs
            if data.ends(with: Self.rxgetURC) {
                guard let (rxMode, afterMode) = intBefore(UInt8(ascii: ","), in: slice, from: index) else { return nil }
                index = afterMode
                if rxMode == 1 {
                    guard let (mux, afterMux) = intBefore(UInt8(ascii: "\n"), in: slice, from: index) else { return nil }
                    index = afterMux
                    if (0..<muxCount).contains(mux) { urcs.append(.gotData(mux: mux)) }
                    data.removeAll()
                    if case .firstURC = mode { return finish(0) }
                } else {
                    data.append(contentsOf: String(rxMode).utf8)
                }
            } else if data.ends(with: Self.closedURC) {
                urcs.append(.closed(mux: closedMux(data)))
                data.removeAll()
                if case .firstURC = mode { return finish(0) }
            } else if let name = Self.networkURCs.first(where: { data.ends(with: Array($0.utf8)) }) {
                guard let newline = slice[index...].firstIndex(of: 0x0A) else { return nil }
                index = newline + 1
                urcs.append(.network(name))
                data.removeAll()
                if case .firstURC = mode { return finish(0) }
            }
        }
        if case .drain(let force) = mode, force || data.isEmpty || data.ends(with: [0x0D, 0x0A]) { return finish(0) }
        return nil
    }

    static let rxgetURC = Array("\r\n+CIPRXGET:".utf8)
    static let closedURC = Array("CLOSED\r\n".utf8)
    static let networkURCs = ["*PSNWID:", "*PSUTTZ:", "+CTZV:", "DST:"]

    /// The mux of a `CLOSED` URC: the text after the CRLF before `CLOSED`, up to the first comma,
    /// through `toInt()` (so a bare `CLOSED` reads as 0).
    static func closedMux(_ data: [UInt8]) -> Int {
        let searchEnd = data.count - closedURC.count
        var newline = -1
        var position = searchEnd
        while position >= 0 {
            if position + 1 < data.count, data[position] == 0x0D, data[position + 1] == 0x0A {
                newline = position
                break
            }
            position -= 1
        }
        let start = newline + 2
        let end = data[start...].firstIndex(of: UInt8(ascii: ",")) ?? data.count
        return atoi(data[start..<end])
    }

    /// `readBytesUntil(terminator, buf, 7)` then `atoi`; nil until the terminator or 7 bytes arrived.
    static func intBefore(_ terminator: UInt8, in slice: ArraySlice<UInt8>, from start: Int) -> (Int, Int)? {
        var index = start
        var buffer: [UInt8] = []
        while index < slice.endIndex {
            let byte = slice[index]
            index += 1
            if byte == terminator { return (buffer.isEmpty ? -9999 : atoi(buffer[...]), index) }
            buffer.append(byte)
            if buffer.count == 7 { return (-9999, index) }
        }
        return nil
    }

    /// C `atoi`: leading white space, an optional sign, digits.
    static func atoi(_ bytes: ArraySlice<UInt8>) -> Int {
        var index = bytes.startIndex
        while index < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D].contains(bytes[index]) { index += 1 }
        var sign = 1
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            if bytes[index] == UInt8(ascii: "-") { sign = -1 }
            index += 1
        }
        var value = 0
        while index < bytes.endIndex, (0x30...0x39).contains(bytes[index]) {
            value = value * 10 + Int(bytes[index] - 0x30)
            index += 1
        }
        return sign * value
    }

    /// `cleanResponseString`: drops `\r\nOK\r\n`, turns line ends into spaces, trims.
    static func cleanResponseString(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\nOK\r\n", with: "").replacingOccurrences(of: "\rOK\r", with: "")
            .replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\r", with: " ")
            .trimmingCharacters(in: .whitespaces)
    }

}
