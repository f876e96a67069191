import ModemProtocol
import Testing

/// ``TraceReplay`` driven through its inputs: host bytes and the clock.
struct TraceReplayTests {
    static func record(_ time: Int64, _ direction: TraceRecord.Direction, _ text: String) -> TraceRecord {
        TraceRecord(
            time: time, direction: direction, kind: direction == .host ? .command : .result, bytes: Array(text.utf8))
    }

    /// A boot URC at 100 ms, `AT` at 1 s answered 20 ms later, a URC 500 ms after that.
    static let recording = [
        record(100_000, .module, "\r\nRDY\r\n"),
        record(1_000_000, .host, "AT\r\n"),
        record(1_020_000, .module, "\r\nOK\r\n"),
        record(1_520_000, .module, "\r\nCall Ready\r\n"),
    ]

    @Test func recordedDelaysDividedBySpeed() {
        var replay = TraceReplay(records: Self.recording, speed: 2)
        #expect(replay.start(at: 0) == [.wake(at: 50_000)])
        #expect(replay.wake(at: 50_000) == [.send(Array("\r\nRDY\r\n".utf8))])
        #expect(replay.hostSent(Array("AT\r".utf8), at: 3_000_000) == [.wake(at: 3_010_000)])
        #expect(replay.wake(at: 3_010_000) == [.send(Array("\r\nOK\r\n".utf8)), .wake(at: 3_260_000)])
        #expect(replay.wake(at: 3_260_000) == [.send(Array("\r\nCall Ready\r\n".utf8))])
        #expect(replay.isAtEnd)
        #expect(replay.hostSent(Array("AT\r".utf8), at: 4_000_000) == [])
    }

    @Test func aDifferentCommandDivergesAndKeepsThePlace() {
        var replay = TraceReplay(records: Self.recording, speed: nil)
        #expect(replay.start(at: 0) == [.send(Array("\r\nRDY\r\n".utf8))])
        let actions = replay.hostSent(Array("AT+CSQ\r\n".utf8), at: 10)
        guard case .diverged(let divergence) = actions.first else {
            Issue.record("\(actions)")
            return
        }
        #expect(divergence.index == 1)
        #expect(
            divergence.description
                == "divergence at record 1 (line 2): expected command \"AT\", received command \"AT+CSQ\"")
        #expect(
            replay.hostSent(Array("AT\r\n".utf8), at: 20)
                == [.send(Array("\r\nOK\r\n".utf8)), .send(Array("\r\nCall Ready\r\n".utf8))])
    }
}
