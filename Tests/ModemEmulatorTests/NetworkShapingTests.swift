import ModemEmulator
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// Network presets shape a link's data on real sockets: the rate in each direction, the round trip
/// and UDP loss are what the profile says.
///
/// Throughput uses the `gprs` preset's rates with its latency set to 0: rate and latency are
/// separate stages of the shaper, and a 150–550 ms jitter on a 2 s transfer would swamp a ±15 %
/// rate check. The round-trip test uses the full `gprs` preset.
@Suite(.machineLoad, .timeLimit(.minutes(3)))
struct NetworkShapingTests {
    static let gprsRatesOnly: NetworkProfile = {
        var profile = NetworkProfile.gprs
        profile.delay = .zero ... .zero
        return profile
    }()

    @Test func downlinkThroughputMatchesGPRS() async throws {
        try await withServer(LinkPeerServer.start()) { server in
            try await Harness.run({ $0.modem.network = Self.gprsRatesOnly }) { harness in
                let host = harness.host
                try await host.bringUp()
                try await host.command("AT+CIPHEAD=1")
                try await host.open(port: server.port)
                let peer = try await server.next()
                // Timed from the peer's write (the shaper starts pacing at once) to the host's last byte:
                // a host that reads late under load can only lengthen the time, never shorten it.
                let size = 24_000
                let start = ContinuousClock.now
                try await peer.write(randomBytes(size))
                var received = 0
                while received < size {
                    guard case .data(_, let bytes) = try await host.nextFrame() else { throw StreamClosed() }
                    received += bytes.count
                }
                let rate = Double(size) * 8 / 1000 / ((ContinuousClock.now - start) / .seconds(1))
                print("[NetworkShapingTests] downlink \(rate) kbit/s, configured \(NetworkProfile.gprs.downlinkKbit!)")
                #expect(abs(rate / NetworkProfile.gprs.downlinkKbit! - 1) <= 0.15)
            }
        }
    }

    @Test func uplinkThroughputMatchesGPRS() async throws {
        try await withServer(LinkPeerServer.start()) { server in
            try await Harness.run({ $0.modem.network = Self.gprsRatesOnly }) { harness in
                let host = harness.host
                try await host.bringUp()
                try await host.open(port: server.port)
                let peer = try await server.next()
                let size = 8_000
                let payload = randomBytes(size)
                // The peer samples arrivals while the host sends: SEND OK comes as each send leaves the
                // modem at the link rate, so the sends themselves take as long as the transfer.
                async let arrivals: [(ContinuousClock.Instant, Int)] = {
                    var samples: [(ContinuousClock.Instant, Int)] = []
                    var received = 0
                    while received < size {
                        received += try await peer.read("bytes") { slice in slice.isEmpty ? nil : (slice.count, slice.count) }
                        samples.append((ContinuousClock.now, received))
                    }
                    return samples
                }()
                for offset in stride(from: 0, to: size, by: 1000) {
                    try await host.command("AT+CIPSEND=1000", until: "> ")
                    try await host.stream.write(Array(payload[offset..<offset + 1000]))
                    try await host.expect("\r\nSEND OK\r\n")
                }
                let rate = Self.slopeKbit(try await arrivals)
                print("[NetworkShapingTests] uplink \(rate) kbit/s, configured \(NetworkProfile.gprs.uplinkKbit!)")
                #expect(abs(rate / NetworkProfile.gprs.uplinkKbit! - 1) <= 0.15)
            }
        }
    }

    @Test func roundTripsLieInTheGPRSRange() async throws {
        try await withServer(TestTCPServer.start()) { server in
            let profile = NetworkProfile.gprs
            try await Harness.run({ $0.modem.network = profile }) { harness in
                let host = harness.host
                try await host.bringUp()
                try await host.command("AT+CIPHEAD=1")
                try await host.open(port: server.port)
                var roundTrips: [Duration] = []
                for ping in 0..<8 {
                    try await host.command("AT+CIPSEND=8", until: "> ")
                    let start = ContinuousClock.now
                    try await host.stream.write(Array("ping \(ping)  ".utf8.prefix(8)))
                    var echoed: [UInt8] = []
                    _ = try await host.readLines(until: { $0 == "SEND OK" }, collecting: &echoed)
                    while echoed.count < 8 {
                        guard case .data(_, let bytes) = try await host.nextFrame() else { throw StreamClosed() }
                        echoed += bytes
                    }
                    roundTrips.append(ContinuousClock.now - start)
                }
                let low = profile.delay.lowerBound * 2
                // Both latencies at their maximum, plus serialising 8 bytes each way, the PTY and a loaded machine.
                let high = profile.delay.upperBound * 2 + .milliseconds(150)
                print("[NetworkShapingTests] round trips \(roundTrips.map { Int($0 / .milliseconds(1)) }) ms, range \(low)–\(high)")
                for roundTrip in roundTrips { #expect(roundTrip >= low && roundTrip <= high) }
                // Jitter: the round trips are spread over the range, not all alike.
                #expect(roundTrips.max()! - roundTrips.min()! > .milliseconds(50))
            }
        }
    }

    /// Loss 0.3 in each direction: a datagram echoed back survives both with probability 0.49.
    @Test func udpLossMatchesTheBinomialBounds() async throws {
        try await withServer(TestUDPEchoServer.start()) { server in
            var profile = NetworkProfile.ideal
            profile.udpLoss = 0.3
            try await Harness.run({ $0.modem.network = profile; $0.modem.seed = 8 }) { harness in
                let host = harness.host
                try await host.bringUp()
                try await host.command("AT+CIPHEAD=1")
                try await host.open(.udp, port: server.port)
                let count = 2000
                var echoed = 0
                func send(_ payload: [UInt8]) async throws {
                    try await host.send("AT+CIPSEND=\(payload.count)")
                    while true {
                        switch try await host.nextFrame() {
                        case .prompt:
                            try await host.stream.write(payload)
                            var data: [UInt8] = []
                            _ = try await host.readLines(until: { $0 == "SEND OK" }, collecting: &data)
                            echoed += data.count / 8
                            return
                        case .data(_, let bytes): echoed += bytes.count / 8
                        case .line(let line): throw StreamTimeout(waitingFor: "prompt, got \(line)", buffered: [])
                        }
                    }
                }
                for _ in 0..<count { try await send(Array("datagram".utf8)) }
                // A lossless marker: everything echoed before it has arrived once it is back.
                try await harness.modem.setNetwork(.ideal)
                try await send(Array("END.....".utf8))
                while true {
                    guard case .data(_, let bytes) = try await host.nextFrame() else { throw StreamClosed() }
                    if bytes == Array("END.....".utf8) { break }
                    echoed += 1
                }
                let p = 0.7 * 0.7
                let sigma = (Double(count) * p * (1 - p)).squareRoot()
                print("[NetworkShapingTests] UDP delivered \(echoed)/\(count) = \(Double(echoed) / Double(count)), expected \(p) ± \(4 * sigma / Double(count))")
                #expect(abs(Double(echoed) - Double(count) * p) <= 4 * sigma)
            }
        }
    }

    /// The rate as the least-squares slope of bytes received over time: one late read on a loaded
    /// machine moves one sample, not the whole measurement.
    static func slopeKbit(_ samples: [(ContinuousClock.Instant, Int)]) -> Double {
        let origin = samples[0].0
        let points = samples.map { ((($0.0 - origin) / .seconds(1)), Double($0.1)) }
        let meanT = points.map(\.0).reduce(0, +) / Double(points.count)
        let meanB = points.map(\.1).reduce(0, +) / Double(points.count)
        let covariance = points.map { ($0.0 - meanT) * ($0.1 - meanB) }.reduce(0, +)
        let variance = points.map { ($0.0 - meanT) * ($0.0 - meanT) }.reduce(0, +)
        return covariance / variance * 8 / 1000
    }
}

/// A loopback TCP server whose accepted connections are ``ByteStream``s, for tests that time
/// what arrives on the network side.
final class LinkPeerServer: TestServer {
    let port: Int
    private let channel: any Channel
    private let accepted: AsyncStream<ByteStream>

    private init(channel: any Channel, accepted: AsyncStream<ByteStream>) {
        self.channel = channel
        self.port = channel.localAddress!.port!
        self.accepted = accepted
    }

    static func start() async throws -> LinkPeerServer {
        let (stream, continuation) = AsyncStream.makeStream(of: ByteStream.self)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture { continuation.yield(try ByteStream.adopting(child)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return LinkPeerServer(channel: channel, accepted: stream)
    }

    /// The next accepted connection.
    func next() async throws -> ByteStream {
        for await stream in accepted { return stream }
        throw StreamClosed()
    }

    func stop() async {
        try? await channel.close()
    }
}
