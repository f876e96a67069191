import ModemEmulator
import NIOCore
import TestSupport
import Testing

/// Garbage on the serial line gets `ERROR` or is discarded; an open link keeps working.
@Suite struct BadInputTests {
    @Test func garbageLeavesTheLinkWorking() async throws {
        try await withServer(TestTCPServer.start()) { server in
            try await Harness.run { harness in
                let host = harness.host
                let stream = host.stream
                try await host.bringUp()
                try await host.command("AT+CIPHEAD=1")
                try await host.open(port: server.port)

                // Random binary. Without the letter A no line of it can be a command (nor `A/`).
                let junk = randomBytes(16 * 1024).filter { $0 != UInt8(ascii: "A") && $0 != UInt8(ascii: "a") }
                try await stream.write(junk + Array("\r\n".utf8))
                try await host.command("AT")

                // A 100 KB line.
                try await stream.write("AT" + String(repeating: "9", count: 100_000) + "\r\n")
                try await host.expect("\r\nERROR\r\n")
                try await host.command("AT")

                // Half a command; the network speaks meanwhile; the rest of the command comes later.
                try await stream.write("AT+CIPSTA")
                let peer = try await server.connection()
                try await peer.writeAndFlush(ByteBuffer(string: "meanwhile")).get()
                #expect(try await host.nextFrame() == .data(link: nil, Array("meanwhile".utf8)))
                try await stream.write("TUS\r\n")
                try await host.expect("\r\nOK\r\n\r\nSTATE: CONNECT OK\r\n")

                // Half a command, then a line end: ERROR, nothing else changes.
                try await stream.write("AT+CIPSE")
                try await stream.write("\r\n")
                try await host.expect("\r\nERROR\r\n")

                // ESC in the middle of a send: nothing is sent and no result code follows.
                try await host.command("AT+CIPSEND", until: "> ")
                try await stream.write("discard me")
                try await stream.write([0x1B])
                try await host.command("AT+CIPSEND=5", until: "> ")
                try await stream.write("hello")
                try await host.expect("\r\nSEND OK\r\n")
                #expect(try await host.nextFrame() == .data(link: nil, Array("hello".utf8)))

                // The link still carries data both ways.
                let payload = randomBytes(64 * 1024)
                #expect(try await host.transfer(payload, link: nil, stopAndWait: false) == payload)
                #expect(try await host.singleState() == "CONNECT OK")
            }
        }
    }

    @Test func lineNoiseFromTheModemIsHarmless() async throws {
        try await Harness.run { harness in
            try await harness.modem.injectNoise(count: 1000)
            _ = try await harness.host.stream.read(count: 1000)
            try await harness.host.command("AT")
        }
    }
}
