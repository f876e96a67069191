import Foundation
import ModemEmulator
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP socket connected to 127.0.0.1:`port`; the caller closes it.
func loopbackSocket(port: Int) throws -> CInt {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else {
        close(descriptor)
        throw POSIXError(.ECONNREFUSED)
    }
    return descriptor
}

/// A host on a modem's TCP serial line: blocking socket, reads with a deadline.
final class SerialHost: @unchecked Sendable {
    let descriptor: CInt

    init(port: Int) throws {
        descriptor = try loopbackSocket(port: port)
    }

    deinit { close(descriptor) }

    /// Sends `command` and a CR, and reads until `until` has come (or 5 s pass).
    @discardableResult
    func command(_ command: String, until: String = "OK\r\n") -> String {
        let bytes = Array((command + "\r").utf8)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + .seconds(5)
        while !String(decoding: reply, as: UTF8.self).contains(until), ContinuousClock.now < deadline {
            var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&waiting, 1, 100) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, 4096) }
            guard count > 0 else { break }
            reply += buffer[0..<count]
        }
        return String(decoding: reply, as: UTF8.self)
    }
}

@Suite(.timeLimit(.minutes(1)))
struct LiveTrafficTests {
    private func port(_ live: LiveFixture, _ index: Int) async throws -> Int {
        guard case .tcp(_, let port) = await live.emulator.addresses[index] else { throw POSIXError(.EINVAL) }
        return port
    }

    @Test("what the host says shows in the log, the timeline, the fleet row and /metrics")
    func traffic() async throws {
        try await withServer(try await LiveFixture.start(count: 2)) { live in
            let host = try SerialHost(port: try await port(live, 1))
            host.command("AT+CSTT=\"internet\"")
            host.command("AT+BOGUS", until: "ERROR\r\n")
            host.command("AT+CIPSTATUS", until: "STATE: IP START\r\n")

            let log = try await live.call(.GET, "/api/modems/1/log")
            let records = try #require(log.json["records"] as? [[String: Any]])
            let commands = records.filter { $0["kind"] as? String == "command" }.compactMap { $0["name"] as? String }
            #expect(commands == ["+CSTT", "+BOGUS", "+CIPSTATUS"], "\(log.body)")
            #expect(records.contains { $0["state"] as? String == "IP START" })
            let next = try #require(log.json["next"] as? Int)
            let rest = try await live.call(.GET, "/api/modems/1/log?after=\(next)")
            #expect((rest.json["records"] as? [Any])?.isEmpty == true)
            #expect(try await live.call(.GET, "/api/modems/0/log").json["next"] as? Int == 0)

            let timeline = try await live.call(.GET, "/api/modems/1/timeline")
            let states = (timeline.json["timeline"] as? [[String: Any]])?.compactMap { $0["state"] as? String }
            #expect(states == ["IP INITIAL", "IP START"])

            let fleet = try await live.call(.GET, "/api/modems?sort=lastActivity")
            let rows = try #require(fleet.json["modems"] as? [[String: Any]])
            #expect(rows.first?["modem"] as? Int == 1 && rows.first?["state"] as? String == "IP START")
            #expect(rows.last?["lastActivity"] is NSNull)

            #expect(try await live.call(.POST, "/api/modems/1/pdp-deact").status == 200)
            let metrics = try await live.call(.GET, "/metrics").body
            for line in [
                #"modem_modems{state="IP INITIAL"} 1"#, #"modem_modems{state="IP START"} 1"#,
                #"modem_commands_total{command="+CSTT"} 1"#, #"modem_commands_total{command="+BOGUS"} 1"#,
                #"modem_errors_total{result="ERROR"} 1"#, #"modem_faults_injected_total{fault="pdp-deact"} 1"#,
            ] {
                #expect(metrics.contains(line), "\(line) in \(metrics)")
            }
            #expect(metrics.contains(#"modem_serial_bytes_total{direction="host_to_module"} "#))
        }
    }
}
