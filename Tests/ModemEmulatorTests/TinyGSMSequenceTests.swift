import Foundation
import ModemCore
import ModemEmulator
import NIOCore
import TestSupport
import Testing

/// TinyGSM's SIM800 driver (`TinyGsmClientSIM800.h`) against the emulator's PTY: the exact commands
/// it sends, in its pieces, and every reply read the way it reads replies (``TinyGSMHost``).
///
/// TinyGSM functions covered: `testAT`, `init`/`begin`, `getSimStatus`, `getModemInfo`,
/// `getModemManufacturer`, `getModemModel`, `getModemRevision`, `getModemSerialNumber`, `getIMEI`,
/// `getSimCCID`, `getRegistrationStatus`, `isNetworkConnected`, `waitForNetwork`,
/// `getSignalQuality`, `restart`, `factoryDefault`, `gprsConnect` (with user and password),
/// `isGprsConnected`, `getLocalIP`, `gprsDisconnect`, `poweroff`, and for clients
/// `connect`, `write` (`modemSend`), `available` (`modemGetAvailable`, with and without the URC),
/// `read` (`modemRead`, binary and `TINY_GSM_USE_HEX`), `connected` (`modemGetConnected`), `stop`,
/// `maintain` and the URC handler (`+CIPRXGET: 1,<n>`, `<n>, CLOSED`).
@Suite("TinyGSM SIM800 sequence", .timeLimit(.minutes(1)))
struct TinyGSMSequenceTests {
    /// The power-on default: echo on (a real SIM800 starts with ATE1).
    static func echoOn(_ options: inout EmulatorOptions) {
        options.modem.modem.echo = true
    }

    static let ok = "\r\nOK\r\n"

    /// `init()` after power-on or a reboot, echo still on: the bytes of each reply.
    static let initExchanges: [(String, String)] = [
        ("AT", "AT\r\r\nOK\r\n"),
        ("ATE0", "ATE0\r\r\nOK\r\n"),
        ("AT+CMEE=0", ok),
        ("AT+CLTS=1", ok),
        ("AT+CBATCHK=1", ok),
        ("AT+CPIN?", "\r\n+CPIN: READY\r\n\r\nOK\r\n"),
    ]

    @Test("init, modem information, restart with the reboot URCs, factoryDefault: every reply byte for byte")
    func initInformationRestart() async throws {
        try await Harness.run(Self.echoOn) { harness in
            let gsm = TinyGSMHost(stream: harness.host.stream)
            gsm.fragmentGap = .milliseconds(1)

            #expect(try await gsm.initModem())
            #expect(try await gsm.getModemInfo() == "SIM800 R14.18")
            #expect(try await gsm.getModemManufacturer() == "SIMCOM_Ltd")
            #expect(try await gsm.getModemModel() == "SIMCOM_SIM800L")
            #expect(try await gsm.getModemRevision() == "Revision:1418B04SIM800L24")
            #expect(try await gsm.getModemSerialNumber() == "001010123456780")
            #expect(try await gsm.getIMEI() == "001010123456780")
            #expect(try await gsm.getSimCCID() == "89001010000000000019")
            #expect(try await gsm.getSimStatus() == 1)
            #expect(try await gsm.getRegistrationStatus() == 1)
            #expect(try await gsm.isNetworkConnected())
            #expect(try await gsm.waitForNetwork())
            #expect(try await gsm.getSignalQuality() == 20)
            let expectedInformation: [(String, String)] = [
                ("ATI", "\r\nSIM800 R14.18\r\n\r\nOK\r\n"),
                ("AT+CGMI", "\r\nSIMCOM_Ltd\r\n\r\nOK\r\n"),
                ("AT+CGMM", "\r\nSIMCOM_SIM800L\r\n\r\nOK\r\n"),
                ("AT+CGMR", "\r\nRevision:1418B04SIM800L24\r\n\r\nOK\r\n"),
                ("AT+CGSN", "\r\n001010123456780\r\n\r\nOK\r\n"),
                ("AT+GSN", "\r\n001010123456780\r\n\r\nOK\r\n"),
                ("AT+CCID", "\r\n89001010000000000019\r\n\r\nOK\r\n"),
                ("AT+CPIN?", "\r\n+CPIN: READY\r\n\r\nOK\r\n"),
                ("AT+CREG?", "\r\n+CREG: 0,1\r\n\r\nOK\r\n"),
                ("AT+CREG?", "\r\n+CREG: 0,1\r\n\r\nOK\r\n"),
                ("AT+CREG?", "\r\n+CREG: 0,1\r\n\r\nOK\r\n"),
                ("AT+CSQ", "\r\n+CSQ: 20,0\r\n\r\nOK\r\n"),
            ]
            #expect(gsm.log == (Self.initExchanges + expectedInformation).map(TinyGSMHost.Exchange.init))
            gsm.clearLog()

            // restart(): AT&W, AT+CFUN=0, AT+CFUN=1,1, then init() again; the module's URCs arrive
            // between replies and are left alone by every wait.
            #expect(try await gsm.restart())
            let reboot = "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n"
            var expectedRestart: [(String, String)] = [
                ("AT", Self.ok), ("AT&W", Self.ok), ("AT+CFUN=0", "\r\n+CPIN: NOT READY\r\n" + Self.ok),
                ("AT+CFUN=1,1", Self.ok),
            ]
            expectedRestart += Self.initExchanges
            // init() sent AT+CLTS=1 and restart() saved it with AT&W: the module takes the network's
            // (this machine's) time once registered, with the URCs a real SIM800 prints.
            var log = gsm.log
            let afterReboot = log[4].reply
            let clock = try #require(afterReboot.firstRange(of: "\r\n+CTZV: "))
            let timeURCs = afterReboot[clock.lowerBound...]
            #expect(
                timeURCs.contains(/\*PSUTTZ: \d{4},\d+,\d+,\d+,\d+,\d+,"[+-]\d+",\d\r\n\r\nDST: \d\r\n/),
                "\(afterReboot)")
            #expect(timeURCs.contains("+CIEV: 10,\"00101\",\"ModemKit Test Network\",\"ModemKit Test Network\", 0, 0\r\n"))
            let ciev = try #require(afterReboot.firstRange(of: ", 0, 0\r\n"))
            log[4].reply = String(afterReboot[..<clock.lowerBound] + afterReboot[ciev.upperBound...])
            expectedRestart[4].1 = reboot + expectedRestart[4].1
            #expect(log == expectedRestart.map(TinyGSMHost.Exchange.init))
            gsm.clearLog()

            // factoryDefault(): only the last AT&W counts for TinyGSM; all six answer OK.
            let factory = try await gsm.factoryDefault()
            #expect(factory.result)
            #expect(factory.replies == [1, 1, 1, 1, 1, 1])
            #expect(
                gsm.log
                    == ["AT&FZE0&W", "AT+IPR=0", "AT+IFC=0,0", "AT+ICF=3,3", "AT+CSCLK=0", "AT&W"].map {
                        TinyGSMHost.Exchange(command: $0, reply: Self.ok)
                    })
            #expect(try await gsm.poweroff())
        }
    }

    @Test("gprsConnect, connect, a 1 MiB echo (two links at once for a quarter) with CIPRXGET reads, stop, gprsDisconnect")
    func dataThroughTwoLinks() async throws {
        try await withServer(TestTCPServer.start()) { server in
            try await Harness.run(Self.echoOn) { harness in
                let gsm = TinyGSMHost(stream: harness.host.stream)
                gsm.fragmentGap = .milliseconds(1)
                let port = server.port
                #expect(try await gsm.initModem())
                gsm.clearLog()

                #expect(try await gsm.gprsConnect(apn: "internet", user: "user", password: "pass"))
                let expectedConnect: [(String, String)] = [
                    ("AT+CIPSHUT", "\r\nSHUT OK\r\n"),
                    ("AT+CGATT=0", Self.ok),
                    ("AT+SAPBR=3,1,\"Contype\",\"GPRS\"", Self.ok),
                    ("AT+SAPBR=3,1,\"APN\",\"internet\"", Self.ok),
                    ("AT+SAPBR=3,1,\"USER\",\"user\"", Self.ok),
                    ("AT+SAPBR=3,1,\"PWD\",\"pass\"", Self.ok),
                    ("AT+CGDCONT=1,\"IP\",\"internet\"", Self.ok),
                    ("AT+CGACT=1,1", Self.ok),
                    ("AT+SAPBR=1,1", Self.ok),
                    ("AT+SAPBR=2,1", "\r\n+SAPBR: 1,1,\"10.64.0.2\"\r\n\r\nOK\r\n"),
                    ("AT+CGATT=1", Self.ok),
                    ("AT+CIPMUX=1", Self.ok),
                    ("AT+CIPQSEND=1", Self.ok),
                    ("AT+CIPRXGET=1", Self.ok),
                    ("AT+CSTT=\"internet\",\"user\",\"pass\"", Self.ok),
                    ("AT+CIICR", Self.ok),
                    ("AT+CIFSR;E0", "\r\n10.64.0.2\r\n\r\nOK\r\n"),
                    ("AT+CDNSCFG=\"8.8.8.8\",\"8.8.4.4\"", Self.ok),
                ]
                #expect(gsm.log == expectedConnect.map(TinyGSMHost.Exchange.init))
                gsm.clearLog()
                #expect(try await gsm.isGprsConnected())
                #expect(try await gsm.getLocalIP() == "10.64.0.2")
                gsm.clearLog()

                // connect(): the quick close of a link that is not open fails (result ignored).
                #expect(try await gsm.connect(0, host: "127.0.0.1", port: port))
                let start0 = "AT+CIPSTART=0,\"TCP\",\"127.0.0.1\",\(port)"
                #expect(
                    gsm.log == [
                        .init(command: "AT+CIPCLOSE=0,1", reply: "\r\nERROR\r\n"),
                        .init(command: "AT+CIPSSL=0", reply: Self.ok),
                        .init(command: start0, reply: "\r\nOK\r\n\r\n0, CONNECT OK\r\n"),
                    ])
                gsm.clearLog()

                // connected() with nothing buffered: 600 ms of driver time later the 500 ms check asks
                // AT+CIPRXGET=4, which says 0, so modemGetConnected asks AT+CIPSTATUS=0.
                await gsm.delay(.milliseconds(600))
                #expect(try await gsm.connected(0))
                let status0 = "\r\n+CIPSTATUS: 0,0,\"TCP\",\"127.0.0.1\",\"\(port)\",\"CONNECTED\"\r\n\r\nOK\r\n"
                #expect(
                    gsm.log == [
                        .init(command: "AT+CIPRXGET=4,0", reply: "\r\n+CIPRXGET: 4,0,0\r\n\r\nOK\r\n"),
                        .init(command: "AT+CIPSTATUS=0", reply: status0),
                    ])
                gsm.clearLog()
                // From here on the replies are read only after URCs, so the log is the same on any machine.
                gsm.availabilityCheck = nil

                // A write, the URC, AT+CIPRXGET=4, one hex read (TINY_GSM_USE_HEX), one binary read.
                #expect(try await gsm.write(0, Array("hello".utf8)) == 5)
                try await gsm.waitForURC()
                #expect(try await gsm.available(0) == 5)
                gsm.useHex = true
                #expect(try await gsm.read(0, size: 5) == Array("hello".utf8))
                gsm.useHex = false
                #expect(try await gsm.write(0, Array("world!".utf8)) == 6)
                try await gsm.waitForURC()
                #expect(try await gsm.available(0) == 6)
                #expect(try await gsm.read(0, size: 6) == Array("world!".utf8))
                #expect(
                    gsm.log == [
                        .init(command: "AT+CIPSEND=0,5", reply: "\r\n><5 bytes sent> \r\nDATA ACCEPT:0,5\r\n\r\n+CIPRXGET: 1,0\r\n"),
                        .init(command: "AT+CIPRXGET=4,0", reply: "\r\n+CIPRXGET: 4,0,5\r\n\r\nOK\r\n"),
                        .init(command: "AT+CIPRXGET=3,0,5", reply: "\r\n+CIPRXGET: 3,0,5,0\r\n<10 bytes>\r\nOK\r\n"),
                        .init(command: "AT+CIPSEND=0,6", reply: "\r\n><6 bytes sent> \r\nDATA ACCEPT:0,6\r\n\r\n+CIPRXGET: 1,0\r\n"),
                        .init(command: "AT+CIPRXGET=4,0", reply: "\r\n+CIPRXGET: 4,0,6\r\n\r\nOK\r\n"),
                        .init(command: "AT+CIPRXGET=2,0,6", reply: "\r\n+CIPRXGET: 2,0,6,0\r\n<6 bytes>\r\nOK\r\n"),
                    ])
                gsm.clearLog()

                // 1 MiB through link 0 in writes of 1460 bytes (the SIM800's CIPSEND maximum) and reads of
                // at most 649 (a 650-byte FIFO); the last quarter interleaved with link 1.
                #expect(try await gsm.connect(1, host: "127.0.0.1", port: port))
                #expect(try await gsm.linkStateIndex(1) == 1)
                #expect(
                    gsm.log == [
                        .init(command: "AT+CIPCLOSE=1,1", reply: "\r\nERROR\r\n"),
                        .init(command: "AT+CIPSSL=0", reply: Self.ok),
                        .init(command: "AT+CIPSTART=1,\"TCP\",\"127.0.0.1\",\(port)", reply: "\r\nOK\r\n\r\n1, CONNECT OK\r\n"),
                        .init(
                            command: "AT+CIPSTATUS=1",
                            reply: "\r\n+CIPSTATUS: 1,0,\"TCP\",\"127.0.0.1\",\"\(port)\",\"CONNECTED\"\r\n\r\nOK\r\n"),
                    ])
                gsm.fragmentGap = .zero
                gsm.logging = false
                // TinyGSM's own 500 ms check (off since above) sends AT+CIPRXGET=4 without a URC; when it
                // fires while echoed bytes are still on their way to an empty link, the module's
                // `+CIPRXGET: 1,<n>` URC can come just before the reply and TinyGSM misreads it (a real
                // SIM800 does the same). The transfer reads only after a URC.
                let payload0 = randomBytes(TransferTests.size)
                let payload1 = randomBytes(TransferTests.size / 4)
                let alone = TransferTests.size - payload1.count
                let chunk = 1460
                let started = ContinuousClock.now
                var received0: [UInt8] = []
                var received1: [UInt8] = []
                received0.reserveCapacity(payload0.count)
                var offset = 0
                while offset < alone {
                    let piece = Array(payload0[offset..<min(offset + chunk, alone)])
                    #expect(try await gsm.write(0, piece) == piece.count)
                    let echoed = try await receive(gsm, 0, count: piece.count)
                    received0 += echoed
                    offset += piece.count
                }
                var offset1 = 0
                while offset < payload0.count {
                    let piece0 = Array(payload0[offset..<min(offset + chunk, payload0.count)])
                    let piece1 = Array(payload1[offset1..<min(offset1 + chunk, payload1.count)])
                    #expect(try await gsm.write(0, piece0) == piece0.count)
                    #expect(try await gsm.write(1, piece1) == piece1.count)
                    // TinyGSM's maintain() asks AT+CIPRXGET=4 for flagged sockets *before* it reads the
                    // URCs already waiting in the serial buffer, and modemGetAvailable takes the first
                    // `+CIPRXGET:` it sees: a pending `+CIPRXGET: 1,1` would be read as the reply for
                    // link 0. So the application takes both URCs first, and both echoes complete in
                    // the module before either is read: no data is then on its way to a drained link
                    // while the other is being read.
                    while gsm.sockets[0]?.gotData != true || gsm.sockets[1]?.gotData != true {
                        try await gsm.waitForURC()
                    }
                    try await waitUntilBuffered(harness, [piece0.count, piece1.count])
                    let echoed0 = try await receive(gsm, 0, count: piece0.count)
                    received0 += echoed0
                    let echoed1 = try await receive(gsm, 1, count: piece1.count)
                    received1 += echoed1
                    offset += piece0.count
                    offset1 += piece1.count
                }
                print("[TinyGSMSequenceTests] 1 MiB + 256 KiB echoed through TinyGSM's reads: \(ContinuousClock.now - started)")
                #expect(received0.count == payload0.count)
                #expect(received0 == payload0)
                #expect(received1 == payload1)
                gsm.logging = true
                gsm.fragmentGap = .milliseconds(1)
                gsm.clearLog()

                // stop(): AT+CIPCLOSE=<n>,1 answers `<n>, CLOSE OK` and no OK; the link stays listed as CLOSED.
                #expect(try await gsm.stop(0) == 1)
                #expect(try await gsm.linkStateIndex(0) == 2)
                #expect(try await gsm.stop(1) == 1)
                let status1 = "\r\n+CIPSTATUS: 0,0,\"TCP\",\"127.0.0.1\",\"\(port)\",\"CLOSED\"\r\n\r\nOK\r\n"
                #expect(
                    gsm.log == [
                        .init(command: "AT+CIPCLOSE=0,1", reply: "\r\n0, CLOSE OK\r\n"),
                        .init(command: "AT+CIPSTATUS=0", reply: status1),
                        .init(command: "AT+CIPCLOSE=1,1", reply: "\r\n1, CLOSE OK\r\n"),
                    ])
                gsm.clearLog()

                #expect(try await gsm.gprsDisconnect())
                #expect(!(try await gsm.isGprsConnected()))
                #expect(
                    gsm.log == [
                        .init(command: "AT+CIPSHUT", reply: "\r\nSHUT OK\r\n"),
                        .init(command: "AT+CGATT=0", reply: Self.ok),
                        .init(command: "AT+CGATT?", reply: "\r\n+CGATT: 0\r\n\r\nOK\r\n"),
                    ])
            }
        }
    }

    @Test("the peer closes: `<n>, CLOSED`; with data unread REMOTE CLOSING until it is read, then CLOSED")
    func peerCloses() async throws {
        try await withServer(TestTCPServer.start(echo: false)) { server in
            try await Harness.run(Self.echoOn) { harness in
                let gsm = TinyGSMHost(stream: harness.host.stream)
                gsm.fragmentGap = .milliseconds(1)
                #expect(try await gsm.initModem())
                #expect(try await gsm.gprsConnect(apn: "internet"))
                #expect(try await gsm.connect(3, host: "127.0.0.1", port: server.port))
                #expect(try await gsm.connect(4, host: "127.0.0.1", port: server.port))
                gsm.availabilityCheck = nil
                gsm.clearLog()

                // Link 3's peer closes with nothing unread: the URC arrives between commands.
                try await server.connection(1).close()
                try await gsm.waitForURC()
                #expect(gsm.urcs.last == .closed(mux: 3))
                #expect(!(try await gsm.connected(3)))
                #expect(try await gsm.linkStateIndex(3) == 2)
                #expect(try await gsm.stop(3) == 2)

                // Link 4's peer sends three bytes and closes: REMOTE CLOSING until they are read; the
                // CLOSED URC comes after the OK of the read that empties the buffer.
                let peer = try await server.connection(2)
                try await peer.writeAndFlush(ByteBuffer(string: "bye")).get()
                try await peer.close()
                try await gsm.waitForURC()
                #expect(gsm.urcs.last == .gotData(mux: 4))
                var state = 0
                for _ in 0..<200 where state != 4 {
                    state = try await gsm.linkStateIndex(4)
                }
                #expect(state == 4)
                #expect(try await gsm.available(4) == 3)
                #expect(try await gsm.read(4, size: 3) == Array("bye".utf8))
                try await gsm.waitForURC()
                #expect(gsm.urcs.last == .closed(mux: 4))
                #expect(try await gsm.linkStateIndex(4) == 2)
                #expect(try await gsm.stop(4) == 2)
                let reads = gsm.log.filter { $0.command.hasPrefix("AT+CIPRXGET=2") }
                #expect(reads == [.init(command: "AT+CIPRXGET=2,4,3", reply: "\r\n+CIPRXGET: 2,4,3,0\r\n<3 bytes>\r\nOK\r\n\r\n4, CLOSED\r\n")])
                #expect(try await gsm.gprsDisconnect())
            }
        }
    }

    /// An application's receive loop over TinyGSM's client: `available()`, then `read()` of what is
    /// available, waiting for the `+CIPRXGET: 1,<n>` URC when nothing is.
    private func receive(_ gsm: TinyGSMHost, _ mux: Int, count: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < count {
            let available = try await gsm.available(mux)
            try #require(available >= 0, "TinyGSM misread a +CIPRXGET reply")
            if available == 0 {
                if gsm.sockets[mux]?.gotData != true { try await gsm.waitForURC() }
                continue
            }
            let read = try await gsm.read(mux, size: min(available, count - bytes.count))
            bytes += read
        }
        return bytes
    }

    /// Waits until the module holds `counts[n]` unread bytes on link `n` (read out of band).
    private func waitUntilBuffered(_ harness: Harness, _ counts: [Int]) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let unread = try await harness.modem.snapshot().unreadBytes
            if Array(unread.prefix(counts.count)) == counts { return }
            await Task.yield()
        }
        Issue.record("the echoes did not arrive: \(try await harness.modem.snapshot().unreadBytes)")
    }
}

extension TinyGSMHost.Exchange {
    init(_ pair: (String, String)) {
        self.init(command: pair.0, reply: pair.1)
    }
}
