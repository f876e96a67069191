import Foundation
import Hummingbird
import HummingbirdWebSocket
import ModemEmulator
import ServiceLifecycle

/// The WebSocket endpoints: the server pushes, the client only listens (docs/http-api.md).
///
/// Each connection reads the feeds on its own schedule and writes with back-pressure: while a slow
/// client's socket is full the loop waits in its write, then sends what changed meanwhile in one
/// message (and for the log, `skipped` for records the ring dropped). The modems never wait on it.
struct LiveUpdates: Sendable {
    let feeds: [LiveFeed]
    let dispatcher: ControlDispatcher

    /// How often the fleet table is refreshed, at most.
    static let fleetInterval = Duration.milliseconds(500)
    /// How often a modem's view is refreshed, at most.
    static let modemInterval = Duration.milliseconds(100)

    func addRoutes(to router: Router<BasicWebSocketRequestContext>) {
        router.ws("api/live") { inbound, outbound, _ in
            try await Self.serve(inbound) { try await fleet(outbound) }
        }
        router.ws("api/modems/:modem/live") { _, context in
            guard let index = context.parameters.get("modem", as: Int.self), feeds.indices.contains(index) else {
                throw HTTPError(.notFound, message: "no such modem")
            }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            guard let index = context.requestContext.parameters.get("modem", as: Int.self) else { return }
            try await Self.serve(inbound) { try await modem(index, outbound) }
        }
    }

    /// Runs `push` until the client closes (its inbound stream ends), a write fails, or the server
    /// shuts down: a client that stopped reading, whose `push` waits in a write, does not hold up
    /// the emulator's exit.
    private static func serve(
        _ inbound: WebSocketInboundStream, push: @escaping @Sendable () async throws -> Void
    ) async throws {
        try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await _ in inbound {}
                }
                group.addTask { try await push() }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// Every row first, then the rows whose feed changed, at most every ``fleetInterval``.
    private func fleet(_ outbound: WebSocketOutboundWriter) async throws {
        var versions = [Int](repeating: -1, count: feeds.count)
        var first = true
        while !Task.isCancelled {
            var rows: [FleetRow] = []
            for (index, feed) in feeds.enumerated() where feed.version != versions[index] {
                let row = feed.row
                versions[index] = row.version
                rows.append(row)
            }
            if first || !rows.isEmpty {
                try await outbound.write(.text(Self.json(FleetMessage(count: feeds.count, rows: rows))))
                first = false
            }
            try await Task.sleep(for: Self.fleetInterval)
        }
    }

    /// A snapshot first, then new records, the status and the timeline when they change.
    private func modem(_ index: Int, _ outbound: WebSocketOutboundWriter) async throws {
        let feed = feeds[index]
        var version = feed.version
        var log = feed.log(after: 0)
        var status = await self.status(index)
        var timeline = feed.timeline
        try await outbound.write(
            .text(
                Self.json(
                    SnapshotMessage(
                        status: status, timeline: timeline.map(TimelineJSON.init),
                        records: log.records.map(RecordJSON.init), next: log.next))))
        while !Task.isCancelled {
            try await Task.sleep(for: Self.modemInterval)
            let now = feed.version
            guard now != version else { continue }
            version = now
            log = feed.log(after: log.next)
            if !log.records.isEmpty || log.skipped > 0 {
                let message = RecordsMessage(
                    records: log.records.map(RecordJSON.init), skipped: log.skipped, next: log.next)
                try await outbound.write(.text(Self.json(message)))
            }
            let newStatus = await self.status(index)
            if newStatus != status {
                status = newStatus
                try await outbound.write(.text(Self.json(StatusMessage(status: status))))
            }
            let newTimeline = feed.timeline
            if newTimeline != timeline {
                timeline = newTimeline
                try await outbound.write(.text(Self.json(TimelineMessage(entries: timeline.map(TimelineJSON.init)))))
            }
        }
    }

    private func status(_ index: Int) async -> StatusReport? {
        await dispatcher.handle(ControlRequest(command: "status", modem: index)).status
    }

    private static func json(_ value: some Encodable) -> String {
        String(buffer: JSONReply.encode(value))
    }
}

struct FleetMessage: Encodable {
    var type = "fleet"
    let count: Int
    let rows: [FleetRow]
}

struct SnapshotMessage: Encodable {
    var type = "snapshot"
    let status: StatusReport?
    let timeline: [TimelineJSON]
    let records: [RecordJSON]
    let next: Int
}

struct RecordsMessage: Encodable {
    var type = "records"
    let records: [RecordJSON]
    let skipped: Int
    let next: Int
}

struct StatusMessage: Encodable {
    var type = "status"
    let status: StatusReport?
}

/// The whole timeline kept (at most ``ModemEmulator/LiveFeed/timelineLimit`` entries) when it changed.
struct TimelineMessage: Encodable {
    var type = "timeline"
    let entries: [TimelineJSON]
}
