import DequeModule
import ModemProtocol
import NIOConcurrencyHelpers

/// What the live view (`--http`) sees of one modem: its serial conversation decoded (the last
/// ``recordLimit`` records, each with at most ``recordBytesLimit`` of its bytes), its state changes
/// (the last ``timelineLimit``), and counters for the fleet table and `/metrics`. A modem that
/// talks all the time thus holds at most about 64 KiB here, one that is idle a few hundred bytes.
///
/// The modem writes on its event loop and never waits: every buffer here is a ring that drops its
/// oldest entry when full, so a reader that is slow (a browser on a bad link) misses records and is
/// told how many (``LiveLog/skipped``); it never holds the modem back. Readers (the HTTP server)
/// take a copy under the lock from any thread.
public final class LiveFeed: Sendable {
    /// Records kept for readers that fall behind.
    public static let recordLimit = 256
    /// Bytes of a record kept; a longer one (data, noise) keeps its first bytes and its full
    /// count in `length`.
    public static let recordBytesLimit = 128
    /// State changes kept.
    public static let timelineLimit = 200

    /// Which modem this is.
    public let modem: Int
    /// The module it emulates (`--model`).
    public let model: ModuleFamily
    private let start: ContinuousClock.Instant
    private let state: NIOLockedValueBox<State>

    struct State {
        var records = Deque<LiveRecord>()
        var nextSequence = 0
        var timeline = Deque<TimelineEntry>()
        var counters = LiveCounters()
        var status: ConnectionStatus = .single(.ipInitial)
        var lastActivity: Int64?
        /// Bumped by every change a fleet row shows.
        var version = 0
    }

    /// A feed for modem `modem`; times are µs since `start` (the emulator's start, shared by the fleet).
    public init(modem: Int, model: ModuleFamily, start: ContinuousClock.Instant = .now) {
        self.modem = modem
        self.model = model
        self.start = start
        let initial = TimelineEntry(time: 0, status: .single(.ipInitial))
        var state = State()
        state.timeline.append(initial)
        self.state = NIOLockedValueBox(state)
    }

    /// Microseconds since the feed's start.
    public var now: Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
    }

    // MARK: - Written by the modem (its event loop)

    /// A decoded step of the serial conversation or a network event (`time` is replaced by the feed's clock).
    func record(_ record: TraceRecord) {
        var kept = record
        kept.time = now
        if record.bytes.count > Self.recordBytesLimit {
            kept.length = record.length ?? record.bytes.count
            kept.bytes.removeSubrange(Self.recordBytesLimit...)
        }
        state.withLockedValue { state in
            state.counters.count(record)
            if record.direction != .network { state.lastActivity = kept.time }
            state.records.append(LiveRecord(sequence: state.nextSequence, record: kept))
            state.nextSequence += 1
            if state.records.count > Self.recordLimit { state.records.removeFirst() }
            state.version &+= 1
        }
    }

    /// The connection status after a step; a change goes on the timeline.
    func statusAfterStep(_ status: ConnectionStatus) {
        let time = now
        state.withLockedValue { state in
            guard state.status != status else { return }
            state.status = status
            state.timeline.append(TimelineEntry(time: time, status: status))
            if state.timeline.count > Self.timelineLimit { state.timeline.removeFirst() }
            state.version &+= 1
        }
    }

    /// Payload bytes a link sent to (`up`) or received from the network.
    func networkBytes(up: Int = 0, down: Int = 0) {
        state.withLockedValue { state in
            state.counters.networkUp += up
            state.counters.networkDown += down
            state.version &+= 1
        }
    }

    /// A fault or network change the control socket or the HTTP API injected (`pdp-deact`, …).
    public func faultInjected(_ name: String) {
        state.withLockedValue { $0.counters.faults[name, default: 0] += 1 }
    }

    // MARK: - Read by the live view

    /// The records after sequence number `after` (0: all kept), the next number to ask for, and how
    /// many records were dropped before they could be read.
    public func log(after: Int) -> LiveLog {
        state.withLockedValue { state in
            let first = state.records.first?.sequence ?? state.nextSequence
            let from = max(after, first)
            let skipped = from - after
            let records = Array(state.records.dropFirst(from - first))
            return LiveLog(records: records, next: state.nextSequence, skipped: skipped)
        }
    }

    /// The state changes kept, oldest first.
    public var timeline: [TimelineEntry] {
        state.withLockedValue { Array($0.timeline) }
    }

    /// The modem's row in the fleet table.
    public var row: FleetRow {
        state.withLockedValue { state in
            FleetRow(
                modem: modem, model: model.rawValue, state: state.status.stateWord,
                linksOpen: state.status.openLinkCount, bytesUp: state.counters.networkUp,
                bytesDown: state.counters.networkDown, lastActivity: state.lastActivity.map { $0 / 1000 },
                version: state.version)
        }
    }

    /// A change counter: it moves whenever the row, the log or the timeline does.
    public var version: Int { state.withLockedValue { $0.version } }

    /// The counters for `/metrics`, with the current status.
    public var counters: (counters: LiveCounters, status: ConnectionStatus) {
        state.withLockedValue { ($0.counters, $0.status) }
    }
}

/// A trace record with its place in the feed.
public struct LiveRecord: Sendable, Equatable {
    /// Counts from 0 for each modem.
    public var sequence: Int
    public var record: TraceRecord
}

/// What ``LiveFeed/log(after:)`` returns.
public struct LiveLog: Sendable, Equatable {
    public var records: [LiveRecord]
    /// The sequence number to ask for next.
    public var next: Int
    /// Records dropped from the feed's ring before this reader read them.
    public var skipped: Int
}

/// A state change: the connection status from `time` (µs since the emulator started) on.
public struct TimelineEntry: Sendable, Equatable {
    public var time: Int64
    public var status: ConnectionStatus
}

/// One modem in the fleet table (docs/http-api.md, `GET /api/modems`).
public struct FleetRow: Sendable, Equatable, Codable {
    public var modem: Int
    public var model: String
    /// The `STATE:` word `AT+CIPSTATUS` reports now.
    public var state: String
    public var linksOpen: Int
    /// Payload bytes sent to the network on the modem's links.
    public var bytesUp: Int
    /// Payload bytes received from the network.
    public var bytesDown: Int
    /// Milliseconds since the start at the last byte on the serial line.
    public var lastActivity: Int64?
    /// The feed's change counter when the row was taken (not encoded).
    public var version = 0

    enum CodingKeys: String, CodingKey {
        case modem, model, state, linksOpen, bytesUp, bytesDown, lastActivity
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(modem, forKey: .modem)
        try container.encode(model, forKey: .model)
        try container.encode(state, forKey: .state)
        try container.encode(linksOpen, forKey: .linksOpen)
        try container.encode(bytesUp, forKey: .bytesUp)
        try container.encode(bytesDown, forKey: .bytesDown)
        try container.encode(lastActivity, forKey: .lastActivity)
    }
}

/// Totals for `/metrics`.
public struct LiveCounters: Sendable, Equatable {
    /// Bytes the host wrote to the module.
    public var serialIn = 0
    /// Bytes the module wrote to the host.
    public var serialOut = 0
    public var networkUp = 0
    public var networkDown = 0
    /// Command lines by name (`+CIPSTATUS`, `E`, …).
    public var commands: [String: Int] = [:]
    /// Error results by kind (`ERROR`, `+CME ERROR`, `+CMS ERROR`).
    public var errors: [String: Int] = [:]
    /// Faults and network changes injected, by control command.
    public var faults: [String: Int] = [:]

    /// All zero.
    public init() {}

    mutating func count(_ record: TraceRecord) {
        switch record.direction {
        case .host: serialIn += record.bytes.count
        case .module: serialOut += record.bytes.count
        case .network: return
        }
        switch record.kind {
        case .command: commands[record.name ?? "", default: 0] += 1
        case .result:
            if let kind = Self.errorKind(record.bytes) { errors[kind, default: 0] += 1 }
        default: break
        }
    }

    /// `ERROR`, `+CME ERROR` or `+CMS ERROR` when the result line is one.
    static func errorKind(_ bytes: [UInt8]) -> String? {
        let text = bytes.drop { $0 == 0x0D || $0 == 0x0A || $0 == 0x20 }
        if text.starts(with: "ERROR".utf8) { return "ERROR" }
        if text.starts(with: "+CME ERROR".utf8) { return "+CME ERROR" }
        if text.starts(with: "+CMS ERROR".utf8) { return "+CMS ERROR" }
        return nil
    }
}

extension ConnectionStatus {
    /// Connections that are open or on their way: the single-mode connection, or multi-mode links
    /// connecting, connected or closing.
    var openLinkCount: Int {
        switch self {
        case .single(let state):
            switch state {
            case .tcpConnecting, .udpConnecting, .connectOK, .tcpClosing, .udpClosing: 1
            default: 0
            }
        case .multi(_, _, let links):
            links.count { link in
                switch link.state {
                case .connecting, .connected, .remoteClosing, .closing: true
                default: false
                }
            }
        }
    }
}
