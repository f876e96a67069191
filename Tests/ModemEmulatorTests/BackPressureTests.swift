import ModemEmulator
import NIOCore
import TestSupport
import Testing

/// A link's unread data in `AT+CIPRXGET=1` mode is bounded: the core pauses the link at
/// `receiveBufferLimit` and the runtime stops reading its socket, so the peer meets TCP back-pressure;
/// nothing is lost once the host reads.
@Suite struct BackPressureTests {
    @Test func manualReceiveBufferIsBoundedAndLossless() async throws {
        try await withServer(TestTCPServer.start(echo: false)) { server in
            try await Harness.run { harness in
                let host = harness.host
                try await host.command("AT+CIPMUX=1")
                try await host.bringUp()
                try await host.command("AT+CIPRXGET=1")
                try await host.open(link: 0, port: server.port)
                let payload = randomBytes(1 << 20)
                let peer = try await server.connection()
                let written = peer.eventLoop.makePromise(of: Void.self)
                peer.writeAndFlush(ByteBuffer(bytes: payload), promise: written)
                try await host.expect("\r\n+CIPRXGET: 1,0\r\n")

                // Wait until the buffer has filled to the limit; the peer's write cannot have completed.
                let limit = EmulatorConfiguration().modem.receiveBufferLimit
                var unread = 0
                while unread < limit { unread = try await harness.modem.snapshot().unreadBytes[0] }
                #expect(unread < payload.count / 2)

                var received: [UInt8] = []
                while received.count < payload.count {
                    try await host.send("AT+CIPRXGET=2,0,1460")
                    try await host.expect("\r\n+CIPRXGET: 2,0,")
                    let header = try await host.expect("\r\n")
                    let count = Int(header.split(separator: ",")[0])!
                    received += try await host.stream.read(count: count)
                    try await host.expect("\r\nOK\r\n")
                }
                #expect(received == payload)
                try await written.futureResult.get()
            }
        }
    }
}
