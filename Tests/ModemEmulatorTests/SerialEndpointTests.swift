import Foundation
import ModemProtocol
import ModemEmulator
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// The serial line's endpoints: PTY re-opening and its symlink, raw TCP with reconnects, several
/// modems in one process, pacing and the trace.
@Suite struct SerialEndpointTests {
    @Test func ptyReopenKeepsTheSessionAndTheLinkIsRemoved() async throws {
        try await withServer(TestTCPServer.start()) { server in
            let link = temporaryPath("tty")
            try await Harness.run({ $0.serial = .pty(link: link) }) { harness in
                guard case .pty(let path) = harness.address else { throw StreamClosed() }
                var buffer = [CChar](repeating: 0, count: 4096)
                let count = readlink(link, &buffer, buffer.count)
                #expect(count > 0)
                #expect(String(decoding: buffer.prefix(max(0, count)).map(UInt8.init(bitPattern:)), as: UTF8.self) == path)

                try await harness.host.bringUp()
                try await harness.host.command("AT+CIPSTART=\"TCP\",\"127.0.0.1\",\(server.port)")
                try await harness.host.expect("\r\nCONNECT OK\r\n")
                await harness.host.stream.close()

                // The host closes and opens the port again (through the symlink): same session.
                let again = ModemSession(stream: try await ByteStream.openTerminal(link))
                #expect(try await again.singleState() == "CONNECT OK")
                try await again.command("AT+CIPHEAD=1")
                #expect(try await again.transfer(Array("after reopen".utf8), link: nil, stopAndWait: false) == Array("after reopen".utf8))
                await again.stream.close()
            }
            #expect(access(link, F_OK) != 0, "the symlink is removed on shutdown")
        }
    }

    @Test func tcpClientReconnectKeepsLinks() async throws {
        try await withServer(TestTCPServer.start()) { server in
            try await Harness.run({ $0.serial = .listen(host: "127.0.0.1", port: 0) }) { harness in
                guard case .tcp(_, let port) = harness.address else { throw StreamClosed() }
                let host = harness.host
                try await host.command("AT+CIPMUX=1")
                try await host.bringUp()
                try await host.open(link: 0, port: server.port)

                // One host at a time: a second client is refused while the first is attached.
                let intruder = try await ByteStream.connect(port: port)
                try await intruder.waitForClose()

                await host.stream.close()
                let next = try await attachSerial(port: port)
                #expect(try await next.linkState(0) == "CONNECTED")
                #expect(try await next.transfer(Array("still here".utf8), link: 0, stopAndWait: false) == Array("still here".utf8))
                await next.stream.close()
            }
        }
    }

    @Test func threeModemsInOneProcess() async throws {
        try await withServer(TestTCPServer.start()) { server in
            var options = Harness.options()
            options.serial = .listen(host: "127.0.0.1", port: 0)
            options.count = 3
            let emulator = try Emulator(options: options, logger: Harness.logger)
            let addresses = try await emulator.start()
            #expect(addresses.count == 3)
            #expect(Set(addresses.map(\.description)).count == 3, "each modem has a serial port of its own")
            #expect(emulator.modems.map(\.index) == [0, 1, 2])
            var sessions: [ModemSession] = []
            for address in addresses {
                guard case .tcp(_, let port) = address else { throw StreamClosed() }
                sessions.append(try await attachSerial(port: port))
            }
            // Settings, states, links and data are each modem's own: nothing done to one shows in another.
            try await sessions[0].command("ATE1")
            try await sessions[1].command("AT+CIPMUX=1")
            try await sessions[2].bringUp()
            try await sessions[2].command("AT+CIPHEAD=1")
            try await sessions[2].command("AT+CIPSTART=\"TCP\",\"127.0.0.1\",\(server.port)")
            try await sessions[2].expect("\r\nCONNECT OK\r\n")
            let payload = Array("for modem 2 only".utf8)
            #expect(try await sessions[2].transfer(payload, link: nil, stopAndWait: true) == payload)

            #expect(try await sessions[0].singleState() == "IP INITIAL")
            let multi = try await sessions[1].multiStatus()
            #expect(multi.state == "IP INITIAL")
            #expect(multi.lines.filter { $0.hasPrefix("C: ") }.count == 6)
            #expect(multi.lines.filter { $0.hasPrefix("C: ") }.allSatisfy { $0.hasSuffix("\"INITIAL\"") })
            #expect(try await sessions[2].singleState() == "CONNECT OK")
            #expect(Array(try await sessions[0].command("AT").utf8).starts(with: Array("AT\r".utf8)), "echo is on on modem 0")
            #expect(Array(try await sessions[1].command("AT").utf8) == Array("\r\nOK\r\n".utf8), "and off on modem 1")

            // A fault injected into one modem reaches that modem's host only.
            try await emulator.modems[2].deactivateContext()
            try await sessions[2].expect("+PDP: DEACT")
            try await sessions[1].command("AT+CSTT=\"internet\"")
            #expect(try await sessions[1].multiStatus().state == "IP START")
            #expect(try await sessions[0].singleState() == "IP INITIAL")
            for session in sessions { await session.stream.close() }
            await emulator.shutdown()
        }
    }

    @Test func pacedOutputAndTrace() async throws {
        let trace = temporaryPath("trace")
        defer { unlink(trace) }
        try await Harness.run({
            $0.modem.baudRate = 9600
            $0.modem.tracePath = trace
        }) { harness in
            try await harness.host.command("AT")
            // Each short reply takes its bytes' time on the wire: `\r\nOK\r\n` is 6 bytes, 6.25 ms
            // at 9600 baud, every time (not at the first, and then on a clock's ticks).
            for _ in 0..<5 {
                let sent = ContinuousClock.now
                try await harness.host.command("AT")
                #expect(ContinuousClock.now - sent >= .microseconds(6250))
            }
            let start = ContinuousClock.now
            try await harness.modem.injectNoise(count: 480)
            _ = try await harness.host.stream.read(count: 480)
            // 480 bytes at 960 bytes/s cannot arrive in much under half a second.
            #expect(ContinuousClock.now - start > .milliseconds(400))
        }
        let records = try readTrace(trace)
        #expect(records.first == TraceRecord(
            time: records.first?.time ?? 0, direction: .host, kind: .command, bytes: Array("AT\r\n".utf8), name: "AT"))
        #expect(records.dropFirst().first?.kind == .result && records.dropFirst().first?.bytes == Array("\r\nOK\r\n".utf8))
        // The noise frames nothing; every byte is kept.
        #expect(records.filter { $0.direction == .module }.reduce(0) { $0 + $1.bytes.count } == 6 * 6 + 480)
        #expect(zip(records, records.dropFirst()).allSatisfy { $0.time <= $1.time })
    }
}

/// Connects to a `--listen` serial port and waits until the modem answers there (a client that
/// arrives before the previous one's close was noticed is refused; it then tries again).
func attachSerial(port: Int, within timeout: Duration = .seconds(10)) async throws -> ModemSession {
    let deadline = ContinuousClock.now + timeout
    while true {
        let session = ModemSession(stream: try await ByteStream.connect(port: port))
        do {
            try await session.command("AT")
            return session
        } catch is StreamClosed where ContinuousClock.now < deadline {
            continue
        }
    }
}
