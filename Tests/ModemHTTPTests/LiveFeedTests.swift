import ModemProtocol
import Testing

@testable import ModemEmulator

/// The feed a modem writes for the live view: bounded, and a reader that falls behind is told
/// how much it missed.
struct LiveFeedTests {
    private func command(_ text: String, name: String) -> TraceRecord {
        TraceRecord(time: 0, direction: .host, kind: .command, bytes: Array(text.utf8), name: name)
    }

    @Test("keeps the last records, numbers them, and tells a late reader how many it missed")
    func ring() {
        let feed = LiveFeed(modem: 0, model: .sim800)
        let total = LiveFeed.recordLimit + 44
        for index in 0..<total { feed.record(command("AT+CSQ\r", name: "+CSQ\(index)")) }
        let all = feed.log(after: 0)
        #expect(all.records.count == LiveFeed.recordLimit)
        #expect(all.skipped == 44)
        #expect(all.next == total)
        #expect(all.records.first?.sequence == 44)
        #expect(all.records.last?.record.name == "+CSQ\(total - 1)")
        let tail = feed.log(after: total - 3)
        #expect(tail.records.map(\.sequence) == [total - 3, total - 2, total - 1])
        #expect(tail.skipped == 0)
        #expect(feed.log(after: total).records.isEmpty)
    }

    @Test("a long record keeps its first bytes and its full length; the counters count every byte")
    func longRecord() {
        let feed = LiveFeed(modem: 0, model: .sim800)
        let noise = [UInt8](repeating: 0x55, count: 5000)
        feed.record(TraceRecord(time: 0, direction: .module, kind: .other, bytes: noise))
        let kept = feed.log(after: 0).records[0].record
        #expect(kept.bytes.count == LiveFeed.recordBytesLimit)
        #expect(kept.length == 5000)
        #expect(feed.counters.counters.serialOut == 5000)
    }

    @Test("commands by name, errors by kind, faults, and the row's activity")
    func counters() {
        let feed = LiveFeed(modem: 3, model: .sim900)
        feed.record(command("AT+CSTT=\"x\"\r", name: "+CSTT"))
        feed.record(command("AT+CSTT=\"x\"\r", name: "+CSTT"))
        for result in ["\r\nERROR\r\n", "\r\n+CME ERROR: 3\r\n", "\r\nOK\r\n", "\r\n+CMS ERROR: 500\r\n"] {
            feed.record(TraceRecord(time: 0, direction: .module, kind: .result, bytes: Array(result.utf8)))
        }
        feed.faultInjected("pdp-deact")
        feed.networkBytes(up: 10)
        feed.networkBytes(down: 7)
        let counters = feed.counters.counters
        #expect(counters.commands == ["+CSTT": 2])
        #expect(counters.errors == ["ERROR": 1, "+CME ERROR": 1, "+CMS ERROR": 1])
        #expect(counters.faults == ["pdp-deact": 1])
        let row = feed.row
        #expect(row.modem == 3 && row.model == "sim900" && row.bytesUp == 10 && row.bytesDown == 7)
        #expect(row.lastActivity != nil)
    }

    @Test("the timeline grows only when the status changes, and the version moves with it")
    func timeline() {
        let feed = LiveFeed(modem: 0, model: .sim800)
        let before = feed.version
        feed.statusAfterStep(.single(.ipInitial))
        #expect(feed.timeline.count == 1)
        #expect(feed.version == before)
        feed.statusAfterStep(.single(.ipStart))
        feed.statusAfterStep(.single(.ipStart))
        let link = LinkStatus(number: 0, bearer: 0, transport: .tcp, address: "1.2.3.4", port: 80, state: .connected)
        feed.statusAfterStep(.multi(.ipProcessing, server: nil, links: [link, .unused(1)]))
        #expect(feed.timeline.map(\.status.stateWord) == ["IP INITIAL", "IP START", "IP PROCESSING"])
        #expect(feed.version == before + 2)
        #expect(feed.row.linksOpen == 1)
        for _ in 0..<(LiveFeed.timelineLimit + 10) {
            feed.statusAfterStep(.single(.ipStatus))
            feed.statusAfterStep(.single(.pdpDeact))
        }
        #expect(feed.timeline.count == LiveFeed.timelineLimit)
    }

    @Test("an open connection counts in single mode while it is connecting, open or closing")
    func singleModeLinks() {
        let open: [SingleConnectionState] = [.tcpConnecting, .udpConnecting, .connectOK, .tcpClosing, .udpClosing]
        for state in SingleConnectionState.known {
            #expect(ConnectionStatus.single(state).openLinkCount == (open.contains(state) ? 1 : 0), "\(state)")
        }
    }
}
