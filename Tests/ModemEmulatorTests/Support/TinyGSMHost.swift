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
    /// `TINY_GSM_MUX_COUNT`: sockets 0–4 as TinyGSM ships it.
    let muxCount: Int
    /// Built with `TINY_GSM_MODEM_SIM900`: the same class, without the `AT+CIPSSL` before each connect.
    let sim900: Bool

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

    var sockets: [Socket?]
    private(set) var log: [Exchange] = []
    /// Every URC the handler recognised, in order.
    var urcs: [URC] = []

    /// `muxCount` above 5 is a build with `TINY_GSM_MUX_COUNT` raised, e.g. to a SIM900's eight links.
    init(stream: ByteStream, rxBufferSize: Int = 650, sim900: Bool = false, muxCount: Int = 5) {
        self.stream = stream
        self.rxBufferSize = rxBufferSize
        self.sim900 = sim900
        self.muxCount = muxCount
        sockets = Array(repeating: nil, count: muxCount)
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

    func record(_ bytes: some Collection<UInt8>) {
        guard logging, !log.isEmpty else { return }
        log[log.count - 1].reply += String(decoding: bytes, as: UTF8.self)
    }

    func record(_ text: String) {
        guard logging, !log.isEmpty else { return }
        log[log.count - 1].reply += text
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
