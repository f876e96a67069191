#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Records a serial line as a trace (docs/trace.md): one JSON object a line, each a decoded step of
/// the conversation with the exact bytes, timed in µs since the writer was made. Whoever sits on the
/// line calls ``host(_:)`` and ``module(_:)`` with the bytes that crossed it: the emulator
/// (`--trace`), `modem tap`, and `ModemClient` recording its own session.
///
/// Not thread-safe: use it from one thread (an event loop). Records still held when it is closed
/// (a partial line) are written as `other` records by ``close()`` (or when it is released).
public final class TraceWriter {
    /// The trace file could not be opened for writing (`errno` says why).
    public struct OpenError: Error, CustomStringConvertible {
        /// The file that could not be opened.
        public let path: String
        /// Why (`errno` of `fopen`).
        public let errno: Int32

        /// `cannot open PATH: REASON`.
        public var description: String { "cannot open \(path): \(String(cString: strerror(errno)))" }
    }

    private var file: UnsafeMutablePointer<FILE>?
    private var decoder = TraceDecoder()
    private let start = ContinuousClock.now
    private let observer: ((TraceRecord) -> Void)?
    private var closed = false

    /// Opens (truncates) `path`; without a path, records only go to `observer`, which is told each
    /// record as it is written (the emulator's debug log, the tap's `--show`).
    public init(path: String?, observer: ((TraceRecord) -> Void)? = nil) throws(OpenError) {
        if let path {
            guard let file = fopen(path, "w") else { throw OpenError(path: path, errno: errno) }
            self.file = file
        } else {
            file = nil
        }
        self.observer = observer
    }

    deinit {
        close()
    }

    /// Microseconds since the writer was made.
    public var now: Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
    }

    /// Bytes from the host.
    public func host(_ bytes: some Collection<UInt8>) {
        guard !bytes.isEmpty else { return }
        for record in decoder.host(Array(bytes), at: now) { write(record) }
    }

    /// Bytes to the host.
    public func module(_ bytes: some Collection<UInt8>) {
        guard !bytes.isEmpty else { return }
        for record in decoder.module(Array(bytes), at: now) { write(record) }
    }

    /// Something the network did, described in a few words (`link 0 connected to 127.0.0.1:80`).
    public func event(_ description: String) {
        write(TraceRecord(time: now, direction: .network, kind: .event, bytes: Array(description.utf8)))
    }

    /// Writes what is held as `other` records and closes the file; later bytes are not recorded.
    public func close() {
        guard !closed else { return }
        for record in decoder.finish(at: now) { write(record) }
        closed = true
        if let file { fclose(file) }
        file = nil
    }

    private func write(_ record: TraceRecord) {
        guard !closed else { return }
        observer?(record)
        guard let file else { return }
        fputs(record.jsonLine, file)
        fflush(file)
    }
}
