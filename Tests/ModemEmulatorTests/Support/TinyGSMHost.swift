import Foundation

/// A host that drives the modem the way TinyGSM's SIM800 driver (`TinyGsmClientSIM800.h`, v0.12.0)
/// does: the same bytes in the same order, written in the same pieces, and every reply read the
/// way that driver reads it. Written from the description in `docs/research/drivers.md` §1; no
/// TinyGSM code is copied.
///
/// What "the way TinyGSM reads it" means (drivers.md §1.2, §1.5):
/// - ``waitResponse(_:timeout:)`` reads byte by byte into `data`, drops bytes that are `<= 0` as
///   `int8_t`, and after each byte checks whether `data` *ends with* one of the awaited tokens, in
///   order; if none matches it offers `data` to the URC handler (`\r\n+CIPRXGET: 1,<mux>`,
///   `<mux>, CLOSED`, the network-time URCs), which clears `data` when it recognises one.
///   Everything else simply stays in `data`.
/// - `streamSkipUntil`, `streamGetIntBefore` (at most 7 bytes, `atoi`), `readStringUntil`,
///   `Stream::parseInt` and raw reads consume exactly what their Arduino counterparts consume.
/// - A function returns what the driver's function returns (`false`, `""`, `0`, …) when a reply
///   does not match; a reply that does not arrive within the driver's own timeout is a test
///   failure (``StreamTimeout``).
///
/// Every command and the bytes consumed while handling it are kept in ``log``, so a test can pin
/// the exact bytes of every reply.
final class TinyGSMHost {
    /// `TINY_GSM_MUX_COUNT`: sockets 0–4.
    static let muxCount = 5

    /// One command and everything read while handling it (raw socket data as `<N bytes>`).
    struct Exchange: Equatable, CustomStringConvertible {
        let command: String
        var reply: String

        var description: String {
            "\(command) → \"\(reply.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n"))\""
        }
    }

    /// What TinyGSM keeps per client (`GsmClientSim800`).
    struct Socket {
        var connected = false
        /// Set by a `+CIPRXGET: 1,<mux>` URC (or the 500 ms check); `maintain()` then asks `AT+CIPRXGET=4`.
        var gotData = false
        /// Bytes the modem still holds (`sock_available`).
        var available = 0
        /// The client's receive FIFO (`rx`).
        var rx: [UInt8] = []
        var previousCheck: ContinuousClock.Instant
    }

    /// A URC the handler recognised.
    enum URC: Equatable, Sendable {
        case gotData(mux: Int)
        case closed(mux: Int)
        case network(String)
    }

    let stream: ByteStream
    /// `TINY_GSM_RX_BUFFER` (650 in TinyGSM's examples). The FIFO holds one byte less, so one read
    /// asks for at most 649 bytes.
    let rxBufferSize: Int
    /// `TINY_GSM_USE_HEX`: read with `AT+CIPRXGET=3` (two hex digits per byte).
    var useHex = false
    /// The pause between the pieces `sendAT` prints (each argument is a separate `print()`); zero
    /// writes them back to back, still as separate writes.
    var fragmentGap: Duration = .zero
    /// TinyGSM's 500 ms check: `available()`/`read()` with an empty FIFO set `got_data` themselves
    /// at most this often, so that `maintain()` asks `AT+CIPRXGET=4` without a URC. `nil`: off.
    var availabilityCheck: Duration? = .milliseconds(500)
    /// Whether ``log`` records exchanges (off during bulk transfers).
    var logging = true

    private(set) var sockets: [Socket?] = Array(repeating: nil, count: TinyGSMHost.muxCount)
    private(set) var log: [Exchange] = []
    /// Every URC the handler recognised, in order.
    private(set) var urcs: [URC] = []

    init(stream: ByteStream, rxBufferSize: Int = 650) {
        self.stream = stream
        self.rxBufferSize = rxBufferSize
    }

    func clearLog() {
        log.removeAll()
    }

    // MARK: - Writing (sendAT)

    /// `sendAT(args...)`: `AT`, each argument as its own write, then `\r\n`.
    func sendAT(_ pieces: String...) async throws {
        if logging { log.append(Exchange(command: "AT" + pieces.joined(), reply: "")) }
        for piece in ["AT"] + pieces + ["\r\n"] where !piece.isEmpty {
            try await stream.write(piece)
            if fragmentGap > .zero { try await stream.pause(for: fragmentGap) }
        }
    }

    private func record(_ bytes: some Collection<UInt8>) {
        guard logging, !log.isEmpty else { return }
        log[log.count - 1].reply += String(decoding: bytes, as: UTF8.self)
    }

    private func record(_ text: String) {
        guard logging, !log.isEmpty else { return }
        log[log.count - 1].reply += text
    }

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
        let wait = try await stream.read("TinyGSM waitResponse(\(tokens))", within: timeout) { slice in
            Self.scan(slice, tokens: needles, mode: .tokens)
        }
        handle(wait)
        return wait
    }

    /// Waits until the URC handler has recognised one URC.
    func waitForURC(timeout: Duration = .seconds(10)) async throws {
        let wait = try await stream.read("a URC", within: timeout) { slice in
            Self.scan(slice, tokens: [], mode: .firstURC)
        }
        handle(wait)
    }

    /// Handles whatever has arrived: the drain loop of `maintain()` and `streamClear()`.
    func drain() async throws {
        let wait: Wait
        do {
            wait = try await stream.read("arrived bytes", within: .milliseconds(50)) { slice in
                Self.scan(slice, tokens: [], mode: .drain(force: false))
            }
        } catch is StreamTimeout {
            // A partial line stayed partial for 50 ms (TinyGSM's waitResponse(15/50) gives up too).
            wait = try await stream.read("arrived bytes", within: .seconds(1)) { slice in
                Self.scan(slice, tokens: [], mode: .drain(force: true))
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
    static func scan(_ slice: ArraySlice<UInt8>, tokens: [[UInt8]], mode: ScanMode) -> (consumed: Int, value: Wait)? {
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

    // MARK: - Modem functions (TinyGsmModem.tpp, TinyGsmGPRS.tpp, TinyGsmClientSIM800.h)

    /// `testAT(timeout)`: `AT` until `OK` comes within 200 ms, 100 ms apart.
    func testAT(timeout: Duration = .seconds(10)) async throws -> Bool {
        let deadline = now + timeout
        while now < deadline {
            try await sendAT()
            do {
                if try await waitResponse(timeout: .milliseconds(200)).index == 1 { return true }
            } catch is StreamTimeout {}
            await delay(.milliseconds(100))
        }
        return false
    }

    /// `init(pin)` / `begin()` without `TINY_GSM_DEBUG`: AT, ATE0, AT+CMEE=0, AT+CLTS=1, AT+CBATCHK=1, then the SIM.
    func initModem() async throws -> Bool {
        guard try await testAT() else { return false }
        try await sendAT("E0")
        guard try await waitResponse().index == 1 else { return false }
        try await sendAT("+CMEE=0")
        try await waitResponse()
        try await sendAT("+CLTS=1")
        guard try await waitResponse(timeout: .seconds(10)).index == 1 else { return false }
        try await sendAT("+CBATCHK=1")
        try await waitResponse()
        let sim = try await getSimStatus()
        return sim == 1 || sim == 2
    }

    /// `getSimStatus()`: 1 READY, 2 locked, 0 otherwise (`+CPIN:` retried for 10 s).
    func getSimStatus(timeout: Duration = .seconds(10)) async throws -> Int {
        let deadline = now + timeout
        while now < deadline {
            try await sendAT("+CPIN?")
            guard try await waitResponse(["+CPIN:"]).index == 1 else {
                await delay(.seconds(1))
                continue
            }
            let status = try await waitResponse(["READY", "SIM PIN", "SIM PUK", "NOT INSERTED", "NOT READY"]).index
            try await waitResponse()
            switch status {
            case 1: return 1
            case 2, 3: return 2
            default: return 0
            }
        }
        return 0
    }

    /// `getModemInfo()`: `ATI`, the reply up to OK, cleaned.
    func getModemInfo() async throws -> String { try await infoString("I") }
    func getModemManufacturer() async throws -> String { try await infoString("+CGMI") }
    func getModemModel() async throws -> String { try await infoString("+CGMM") }
    func getModemRevision() async throws -> String { try await infoString("+CGMR") }
    func getModemSerialNumber() async throws -> String { try await infoString("+CGSN") }

    private func infoString(_ command: String) async throws -> String {
        try await sendAT(command)
        let wait = try await waitResponse()
        return wait.index == 1 ? Self.cleanResponseString(wait.data) : ""
    }

    /// `getIMEI()`: skip to the first `\n`, the line up to the next one, then OK.
    func getIMEI() async throws -> String {
        try await sendAT("+GSN")
        try await skipUntil("\n")
        let text = try await readStringUntil("\n")
        try await waitResponse()
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `getSimCCID()`: waits for the leading `\r\n`, reads the line, then OK.
    func getSimCCID() async throws -> String {
        try await sendAT("+CCID")
        guard try await waitResponse(["\r\n"]).index == 1 else { return "" }
        let text = try await readStringUntil("\n")
        try await waitResponse()
        return text.replacingOccurrences(of: "CCID:", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `getRegistrationStatus()`: `AT+CREG?`, `+CREG:` (not OK/ERROR), the int after the comma.
    func getRegistrationStatus() async throws -> Int {
        try await sendAT("+CREG?")
        let index = try await waitResponse(["+CREG:", "+CGREG:", "+CEREG:"]).index
        guard (1...3).contains(index) else { return -1 }
        try await skipUntil(",")
        let status = try await parseInt()
        try await waitResponse()
        return status
    }

    /// `isNetworkConnected()`: registered home (1) or roaming (5).
    func isNetworkConnected() async throws -> Bool {
        let status = try await getRegistrationStatus()
        return status == 1 || status == 5
    }

    /// `waitForNetwork(timeout, check_signal = false)`.
    func waitForNetwork(timeout: Duration = .seconds(60)) async throws -> Bool {
        let deadline = now + timeout
        while now < deadline {
            if try await isNetworkConnected() { return true }
            await delay(.milliseconds(250))
        }
        return false
    }

    /// `getSignalQuality()`: the int before the comma of `+CSQ:`; 99 without it.
    func getSignalQuality() async throws -> Int {
        try await sendAT("+CSQ")
        guard try await waitResponse(["+CSQ:"]).index == 1 else { return 99 }
        let rssi = try await getIntBefore(",")
        try await waitResponse()
        return rssi
    }

    /// `restart(pin)`: AT, AT&W, AT+CFUN=0, AT+CFUN=1,1, a pause, then `init`.
    func restart() async throws -> Bool {
        guard try await testAT() else { return false }
        try await sendAT("&W")
        try await waitResponse()
        try await sendAT("+CFUN=0")
        guard try await waitResponse(timeout: .seconds(10)).index == 1 else { return false }
        try await sendAT("+CFUN=1", ",1")
        guard try await waitResponse(timeout: .seconds(10)).index == 1 else { return false }
        await delay(.seconds(3))
        return try await initModem()
    }

    /// `factoryDefault()`: returns whether the final `AT&W` said OK; the index of each reply is
    /// returned too so a test can check all six.
    func factoryDefault() async throws -> (result: Bool, replies: [Int]) {
        var replies: [Int] = []
        for command in ["&FZE0&W", "+IPR=0", "+IFC=0,0", "+ICF=3,3", "+CSCLK=0", "&W"] {
            try await sendAT(command)
            replies.append(try await waitResponse().index)
        }
        return (replies.last == 1, replies)
    }

    /// `poweroff()`: `AT+CPOWD=1`, waits for `NORMAL POWER DOWN`.
    func poweroff() async throws -> Bool {
        try await sendAT("+CPOWD=1")
        return try await waitResponse(["NORMAL POWER DOWN"], timeout: .seconds(10)).index == 1
    }

    /// `getLocalIP()`: `AT+CIFSR;E0`, everything up to OK (10 s), cleaned.
    func getLocalIP() async throws -> String {
        try await sendAT("+CIFSR;E0")
        let wait = try await waitResponse(timeout: .seconds(10))
        return wait.index == 1 ? Self.cleanResponseString(wait.data) : ""
    }

    /// `isGprsConnected()`: `+CGATT: 1`, then a local IP other than 0.0.0.0.
    func isGprsConnected() async throws -> Bool {
        try await sendAT("+CGATT?")
        guard try await waitResponse(["+CGATT:"]).index == 1 else { return false }
        let attached = try await getIntBefore("\n")
        try await waitResponse()
        guard attached == 1 else { return false }
        let address = try await getLocalIP()
        return !address.isEmpty && address != "0.0.0.0"
    }

    /// `gprsConnect(apn, user, pwd)` (drivers.md §1.4): the index of every reply, and the result.
    func gprsConnect(apn: String, user: String = "", password: String = "") async throws -> Bool {
        _ = try await gprsDisconnect()
        try await sendAT("+SAPBR=3,1,\"Contype\",\"GPRS\"")
        try await waitResponse()
        try await sendAT("+SAPBR=3,1,\"APN\",\"", apn, "\"")
        try await waitResponse()
        if !user.isEmpty {
            try await sendAT("+SAPBR=3,1,\"USER\",\"", user, "\"")
            try await waitResponse()
        }
        if !password.isEmpty {
            try await sendAT("+SAPBR=3,1,\"PWD\",\"", password, "\"")
            try await waitResponse()
        }
        try await sendAT("+CGDCONT=1,\"IP\",\"", apn, "\"")
        try await waitResponse()
        try await sendAT("+CGACT=1,1")
        try await waitResponse(timeout: .seconds(60))
        try await sendAT("+SAPBR=1,1")
        try await waitResponse(timeout: .seconds(85))
        try await sendAT("+SAPBR=2,1")
        guard try await waitResponse(timeout: .seconds(30)).index == 1 else { return false }
        try await sendAT("+CGATT=1")
        guard try await waitResponse(timeout: .seconds(60)).index == 1 else { return false }
        for command in ["+CIPMUX=1", "+CIPQSEND=1", "+CIPRXGET=1"] {
            try await sendAT(command)
            guard try await waitResponse().index == 1 else { return false }
        }
        try await sendAT("+CSTT=\"", apn, "\",\"", user, "\",\"", password, "\"")
        guard try await waitResponse(timeout: .seconds(60)).index == 1 else { return false }
        try await sendAT("+CIICR")
        guard try await waitResponse(timeout: .seconds(60)).index == 1 else { return false }
        try await sendAT("+CIFSR;E0")
        guard try await waitResponse(timeout: .seconds(10)).index == 1 else { return false }
        try await sendAT("+CDNSCFG=\"8.8.8.8\",\"8.8.4.4\"")
        return try await waitResponse().index == 1
    }

    /// `gprsDisconnect()`: `AT+CIPSHUT`, then `AT+CGATT=0`, each must end in OK (60 s).
    func gprsDisconnect() async throws -> Bool {
        try await sendAT("+CIPSHUT")
        guard try await waitResponse(timeout: .seconds(60)).index == 1 else { return false }
        try await sendAT("+CGATT=0")
        return try await waitResponse(timeout: .seconds(60)).index == 1
    }

    /// `maintain()`: `AT+CIPRXGET=4` for every socket flagged `got_data`, then the URCs that arrived.
    func maintain() async throws {
        for mux in sockets.indices where sockets[mux]?.gotData == true {
            sockets[mux]?.gotData = false
            let available = try await modemGetAvailable(mux)
            sockets[mux]?.available = available
        }
        try await drain()
    }

    // MARK: - Sockets (GsmClientSim800 and the modem* functions behind it)

    /// `client.connect(host, port)`: `stop()` (which quick-closes with `AT+CIPCLOSE=<n>,1`), then
    /// `AT+CIPSSL=0` and `AT+CIPSTART=<n>,"TCP",…`, `CONNECT OK` within `timeout`.
    func connect(_ mux: Int, host: String, port: Int, timeout: Duration = .seconds(75)) async throws -> Bool {
        if sockets[mux] == nil { sockets[mux] = Socket(previousCheck: now) }
        try await stop(mux)
        sockets[mux]?.rx.removeAll()
        let connected = try await modemConnect(mux, host: host, port: port, timeout: timeout)
        sockets[mux]?.connected = connected
        return sockets[mux]?.connected == true
    }

    private func modemConnect(_ mux: Int, host: String, port: Int, timeout: Duration) async throws -> Bool {
        try await sendAT("+CIPSSL=", "0")
        try await waitResponse()
        try await sendAT("+CIPSTART=", "\(mux)", ",", "\"TCP", "\",\"", host, "\",", "\(port)")
        let index = try await waitResponse(
            ["CONNECT OK\r\n", "CONNECT FAIL\r\n", "ALREADY CONNECT\r\n", "ERROR\r\n", "CLOSE OK\r\n"], timeout: timeout
        ).index
        return index == 1
    }

    /// `client.stop()`: reads out what the modem still buffers, clears the stream, then
    /// `AT+CIPCLOSE=<n>,1`; the result is ignored. Returns the index of that reply.
    @discardableResult
    func stop(_ mux: Int) async throws -> Int {
        while let available = sockets[mux]?.available, available > 0 {
            sockets[mux]?.rx.removeAll()
            _ = try await modemRead(mux, size: min(rxFree(mux), available))
        }
        sockets[mux]?.rx.removeAll()
        try await drain()
        try await sendAT("+CIPCLOSE=", "\(mux)", ",1")
        sockets[mux]?.connected = false
        return try await waitResponse().index
    }

    /// `client.write(buf, len)`: `maintain()`, then one `AT+CIPSEND=<n>,<len>`; the count
    /// `DATA ACCEPT:<n>,<len>` reports, 0 on any other reply.
    func write(_ mux: Int, _ bytes: [UInt8]) async throws -> Int {
        try await maintain()
        return try await modemSend(mux, bytes)
    }

    private func modemSend(_ mux: Int, _ bytes: [UInt8]) async throws -> Int {
        try await sendAT("+CIPSEND=", "\(mux)", ",", "\(bytes.count)")
        guard try await waitResponse([">"]).index == 1 else { return 0 }
        try await stream.write(bytes)
        record("<\(bytes.count) bytes sent>")
        guard try await waitResponse(["\r\nDATA ACCEPT:"]).index == 1 else { return 0 }
        try await skipUntil(",")
        return try await getIntBefore("\n")
    }

    /// `client.available()`: FIFO plus what the modem holds; with an empty FIFO it may set
    /// `got_data` itself (the 500 ms check) and runs `maintain()`.
    func available(_ mux: Int) async throws -> Int {
        guard sockets[mux] != nil else { return 0 }
        if sockets[mux]!.rx.isEmpty {
            checkAvailability(mux)
            try await maintain()
        }
        return (sockets[mux]?.rx.count ?? 0) + (sockets[mux]?.available ?? 0)
    }

    /// `client.read(buf, size)`: from the FIFO, refilled with `AT+CIPRXGET=2` (or `=3`) reads of
    /// at most the FIFO's free space while the modem holds data.
    func read(_ mux: Int, size: Int) async throws -> [UInt8] {
        try await maintain()
        var result: [UInt8] = []
        while result.count < size, sockets[mux] != nil {
            if !sockets[mux]!.rx.isEmpty {
                let chunk = min(size - result.count, sockets[mux]!.rx.count)
                result += sockets[mux]!.rx.prefix(chunk)
                sockets[mux]!.rx.removeFirst(chunk)
                continue
            }
            checkAvailability(mux)
            try await maintain()
            let available = sockets[mux]!.available
            guard available > 0 else { break }
            if try await modemRead(mux, size: min(rxFree(mux), available)) == 0 { break }
        }
        return result
    }

    /// `client.connected()`: data available, or the socket's `sock_connected`.
    func connected(_ mux: Int) async throws -> Bool {
        if try await available(mux) > 0 { return true }
        return sockets[mux]?.connected == true
    }

    private func rxFree(_ mux: Int) -> Int {
        rxBufferSize - 1 - (sockets[mux]?.rx.count ?? 0)
    }

    private func checkAvailability(_ mux: Int) {
        guard let interval = availabilityCheck, let socket = sockets[mux] else { return }
        if now - socket.previousCheck > interval {
            sockets[mux]?.gotData = true
            sockets[mux]?.previousCheck = now
        }
    }

    // MARK: - The driver's clock

    /// How far the driver's clock is ahead of the real one: TinyGSM's `delay()` and `millis()`
    /// checks run on it, so that a test can let driver time pass without waiting in real time.
    private(set) var clockOffset: Duration = .zero

    /// The driver's `millis()`.
    var now: ContinuousClock.Instant { ContinuousClock.now + clockOffset }

    /// TinyGSM's `delay(ms)`: the driver's clock moves on; nothing else happens meanwhile, as on a
    /// single-threaded microcontroller.
    func delay(_ duration: Duration) async {
        clockOffset += duration
        await Task.yield()
    }

    /// `modemRead(size, mux)`: `+CIPRXGET: 2,<n>,<len>,<rest>`, then exactly `len` raw bytes (2·len
    /// hex digits with `=3`), then OK; `sock_available` becomes `rest`.
    func modemRead(_ mux: Int, size: Int) async throws -> Int {
        guard sockets[mux] != nil else { return 0 }
        try await sendAT(useHex ? "+CIPRXGET=3," : "+CIPRXGET=2,", "\(mux)", ",", "\(size)")
        guard try await waitResponse(["+CIPRXGET:"]).index == 1 else { return 0 }
        try await skipUntil(",")  // mode
        try await skipUntil(",")  // mux
        let length = try await getIntBefore(",")
        let remaining = try await getIntBefore("\n")
        var bytes: [UInt8] = []
        if length > 0 {
            if useHex {
                let digits = try await readRaw(2 * length)
                for index in stride(from: 0, to: digits.count, by: 2) {
                    let pair = String(decoding: digits[index..<(index + 2)], as: UTF8.self)
                    bytes.append(UInt8(pair, radix: 16) ?? 0)
                }
            } else {
                bytes = try await readRaw(length)
            }
        }
        sockets[mux]?.rx += bytes
        sockets[mux]?.available = remaining
        try await waitResponse()
        return length
    }

    /// `modemGetAvailable(mux)`: `AT+CIPRXGET=4,<n>` → `+CIPRXGET: 4,<n>,<len>`; with 0 it asks
    /// `modemGetConnected` too.
    func modemGetAvailable(_ mux: Int) async throws -> Int {
        try await sendAT("+CIPRXGET=4,", "\(mux)")
        var result = 0
        if try await waitResponse(["+CIPRXGET:"]).index == 1 {
            try await skipUntil(",")
            try await skipUntil(",")
            result = try await getIntBefore("\n")
            try await waitResponse()
        }
        if result == 0 {
            let connected = try await modemGetConnected(mux)
            sockets[mux]?.connected = connected
        }
        return result
    }

    /// `modemGetConnected(mux)`: `AT+CIPSTATUS=<n>`, `+CIPSTATUS`, then `,"CONNECTED"` (1) or
    /// `,"CLOSED"` (2), `,"CLOSING"` (3), `,"REMOTE CLOSING"` (4), `,"INITIAL"` (5), then OK.
    /// Returns the index of the state, so a test sees which one it was.
    func linkStateIndex(_ mux: Int) async throws -> Int {
        try await sendAT("+CIPSTATUS=", "\(mux)")
        try await waitResponse(["+CIPSTATUS", "ERROR\r\n"])
        let index = try await waitResponse([
            ",\"CONNECTED\"", ",\"CLOSED\"", ",\"CLOSING\"", ",\"REMOTE CLOSING\"", ",\"INITIAL\"",
        ]).index
        try await waitResponse()
        return index
    }

    func modemGetConnected(_ mux: Int) async throws -> Bool {
        try await linkStateIndex(mux) == 1
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix)
    }
}
