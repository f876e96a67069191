import ModemProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Records the serial line as a trace (`--trace FILE`, docs/trace.md): one JSON object a line,
/// each a decoded step of the conversation with the exact bytes, timed in µs since the modem
/// started. Network events the emulator knows of (links opening and closing, the PDP context,
/// faults) are recorded too. Used only on the modem's event loop; optionally tells `observer` each
/// record (the debug log).
final class TraceFile {
    private let file: UnsafeMutablePointer<FILE>?
    private var decoder = TraceDecoder()
    private let start = ContinuousClock.now
    private let observer: ((TraceRecord) -> Void)?

    /// Opens (truncates) `path`; without a path, records only go to `observer`.
    init(path: String?, observer: ((TraceRecord) -> Void)? = nil) throws(EmulatorError) {
        if let path {
            guard let file = fopen(path, "w") else { throw .cannotOpen(path, errno: errno) }
            self.file = file
        } else {
            file = nil
        }
        self.observer = observer
    }

    deinit {
        for record in decoder.finish(at: now) { write(record) }
        if let file { fclose(file) }
    }

    private var now: Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
    }

    /// Bytes from the host.
    func host(_ bytes: some Collection<UInt8>) {
        guard !bytes.isEmpty else { return }
        for record in decoder.host(Array(bytes), at: now) { write(record) }
    }

    /// Bytes to the host.
    func module(_ bytes: some Collection<UInt8>) {
        guard !bytes.isEmpty else { return }
        for record in decoder.module(Array(bytes), at: now) { write(record) }
    }

    /// Something the network did, described in a few words (`link 0 connected to 127.0.0.1:80`).
    func event(_ description: String) {
        write(TraceRecord(time: now, direction: .network, kind: .event, bytes: Array(description.utf8)))
    }

    private func write(_ record: TraceRecord) {
        observer?(record)
        guard let file else { return }
        fputs(record.jsonLine, file)
        fflush(file)
    }
}
