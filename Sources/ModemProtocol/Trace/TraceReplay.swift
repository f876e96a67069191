/// Plays the module's part of a recorded trace (`modem replay`, docs/trace.md) as a pure state
/// machine: the host's bytes and the clock are its inputs, the bytes to write and when to wake are its
/// outputs.
///
/// The host's bytes are decoded with the same ``TraceDecoder`` that made the recording (fed the
/// replayed module bytes too, so a `> ` prompt opens a data phase). Each decoded host step is compared
/// with the recording's next host record: command lines by their text without the line end, data by
/// its bytes. When it matches, the module records up to the next host record are played, each after
/// its recorded delay from the matched host record (divided by ``speed``); module records before the
/// first host record (boot URCs) are timed from the start. When it does not match, the step is a
/// ``Divergence`` and the position stays. Past the last host record the host is answered nothing.
public struct TraceReplay: Sendable {
    /// What the runtime does next.
    public enum Action: Equatable, Sendable {
        /// Write these bytes to the host.
        case send([UInt8])
        /// Call ``wake(at:)`` at this time (µs on the caller's clock); replaces an earlier wake.
        case wake(at: Int64)
        /// The host sent something the recording's host did not.
        case diverged(Divergence)
    }

    /// A host step that is not the one the recording has next.
    public struct Divergence: Equatable, Sendable, CustomStringConvertible {
        /// The index (0-based) of the expected record in the trace file; its line is `index + 1`.
        public let index: Int
        /// The recorded host step.
        public let expected: TraceRecord
        /// The step the host sent.
        public let received: TraceRecord

        /// One line: `divergence at record 3 (line 4): expected command "AT", received command "AT+CSQ"`.
        public var description: String {
            "divergence at record \(index) (line \(index + 1)): expected \(Self.describe(expected)), "
                + "received \(Self.describe(received))"
        }

        private static func describe(_ record: TraceRecord) -> String {
            let text = record.kind == .data
                ? "data \(TraceText.printable(record.bytes).debugDescription)"
                : "\(record.kind.rawValue) \(TraceReplay.text(of: record).debugDescription)"
            return text
        }
    }

    /// The recording, with each record's index in its file.
    private let script: [(index: Int, record: TraceRecord)]
    /// Replay speed: recorded delays are divided by it; `nil` plays without delay.
    public let speed: Double?
    /// The next record to play or expect.
    public private(set) var position = 0
    /// The live time and the recorded time delays are counted from.
    private var anchor: (live: Int64, recorded: Int64) = (0, 0)
    private var decoder = TraceDecoder()

    /// A replay of `records` (host and module records; network events and `other` host bytes are
    /// skipped) at `speed` (`nil`: as fast as possible).
    public init(records: [TraceRecord], speed: Double?) {
        script = records.enumerated().filter { entry in
            switch entry.element.direction {
            case .network: false
            case .host: entry.element.kind != .other
            case .module: true
            }
        }.map { (index: $0.offset, record: $0.element) }
        self.speed = speed
    }

    /// Whether every host record has been matched (the host is answered nothing more).
    public var isAtEnd: Bool { nextHostRecord == nil && position >= script.count }

    /// Starts the replay at `now` (µs): the module records before the first host record.
    public mutating func start(at now: Int64) -> [Action] {
        anchor = (now, 0)
        return play(at: now)
    }

    /// The time asked for with ``Action/wake(at:)`` has come.
    public mutating func wake(at now: Int64) -> [Action] {
        play(at: now)
    }

    /// Bytes the host wrote at `now`.
    public mutating func hostSent(_ bytes: [UInt8], at now: Int64) -> [Action] {
        var actions: [Action] = []
        for step in decoder.host(bytes, at: now) {
            guard let expected = nextHostRecord else { continue }
            guard Self.matches(step, script[expected].record) else {
                let divergence = Divergence(
                    index: script[expected].index, expected: script[expected].record, received: step)
                actions.append(.diverged(divergence))
                continue
            }
            // What the module said before the recording's host spoke comes first, at once.
            while position < expected {
                actions.append(send(script[position].record.bytes))
                position += 1
            }
            anchor = (now, script[expected].record.time)
            position = expected + 1
            actions += play(at: now)
        }
        return actions
    }

    /// An answer the runtime writes itself (the `ERROR` of `--on-divergence error`), so that the
    /// decoder sees every byte the host was sent.
    public mutating func sentOutsideTheRecording(_ bytes: [UInt8], at now: Int64) {
        _ = decoder.module(bytes, at: now)
    }

    /// The text a host step is compared by: a command line without its line end.
    static func text(of record: TraceRecord) -> String {
        var bytes = record.bytes[...]
        while let last = bytes.last, last == 0x0D || last == 0x0A { bytes = bytes.dropLast() }
        return TraceText.printable(Array(bytes))
    }

    private static func matches(_ step: TraceRecord, _ expected: TraceRecord) -> Bool {
        switch (step.kind, expected.kind) {
        case (.command, .command): text(of: step) == text(of: expected)
        case (.data, .data): step.bytes == expected.bytes
        default: false
        }
    }

    private var nextHostRecord: Int? {
        script[position...].firstIndex { $0.record.direction == .host }
    }

    /// Plays the module records that are due; asks to be woken for the next one.
    private mutating func play(at now: Int64) -> [Action] {
        var actions: [Action] = []
        while position < script.count, script[position].record.direction == .module {
            let record = script[position].record
            let due = dueTime(of: record)
            guard due <= now else {
                actions.append(.wake(at: due))
                return actions
            }
            actions.append(send(record.bytes))
            position += 1
        }
        return actions
    }

    private func dueTime(of record: TraceRecord) -> Int64 {
        guard let speed else { return anchor.live }
        let delay = max(0, record.time - anchor.recorded)
        return anchor.live + Int64((Double(delay) / speed).rounded())
    }

    private mutating func send(_ bytes: [UInt8]) -> Action {
        _ = decoder.module(bytes, at: anchor.live)
        return .send(bytes)
    }
}
