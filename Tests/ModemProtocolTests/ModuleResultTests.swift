import ModemProtocol
import Testing
import TestSupport

@Suite("ModuleResult: the module's own lines, encoded and decoded")
struct ModuleResultTests {
    /// One value of every case, with and without a link number where it takes one.
    static let samples: [ModuleResult] = [
        .ready, .functionality(1), .functionality(0), .simStatus("READY"), .simStatus("NOT READY"), .callReady,
        .smsReady, .shutOK, .serverOK, .serverClose, .pdpDeact, .state(.tcpClosed), .state(.ipClose),
        .bearerDeactivated(profile: 1), .dataAvailable(link: nil), .dataAvailable(link: 3),
        .dataAccept(link: nil, length: 10), .dataAccept(link: 2, length: 1460),
        .remoteIP(link: nil, address: "10.0.0.7"), .remoteIP(link: 4, address: "10.0.0.8"),
    ]
        + [Int?.none, 0, 5, 7].flatMap { link in
            [
                ModuleResult.connectOK(link: link), .connectFail(link: link), .alreadyConnect(link: link),
                .closed(link: link), .closeOK(link: link), .sendOK(link: link), .sendFail(link: link),
            ]
        }

    @Test("every result decodes from the line it encodes to", arguments: samples)
    func roundTrip(result: ModuleResult) {
        #expect(ModuleResult(line: result.line) == result)
    }

    @Test("the lines are the module's, byte for byte (SIM800 manual §8.2, docs/research/real-logs.md)")
    func lines() {
        #expect(ModuleResult.connectFail(link: nil).line == "CONNECT FAIL")
        #expect(ModuleResult.closed(link: 0).line == "0, CLOSED")
        #expect(ModuleResult.sendOK(link: 1).line == "1, SEND OK")
        #expect(ModuleResult.dataAccept(link: 1, length: 12).line == "DATA ACCEPT:1,12")
        #expect(ModuleResult.dataAccept(link: nil, length: 12).line == "DATA ACCEPT:12")
        #expect(ModuleResult.remoteIP(link: 2, address: "1.2.3.4").line == "2, REMOTE IP: 1.2.3.4")
        #expect(ModuleResult.dataAvailable(link: 2).line == "+CIPRXGET: 1,2")
        #expect(ModuleResult.state(.pdpDeact).line == "STATE: PDP DEACT")
        #expect(ModuleResult.bearerDeactivated(profile: 1).line == "+SAPBR 1: DEACT")
        #expect(ModuleResult.functionality(1).line == "+CFUN: 1")
    }

    @Test("lines that are not results, or results with a link where none goes, decode to nil")
    func notResults() {
        for line in [
            "", "OK", "ERROR", "CLOSED ", "0, SHUT OK", "123, CLOSED", "x, CLOSED", "DATA ACCEPT:", "DATA ACCEPT:a,b",
            "+CIPRXGET: 2,0", "+CIPRXGET: 1,x", "+SAPBR x: DEACT", "C: 0,0,\"TCP\"", "+CSQ: 20,0",
        ] {
            #expect(ModuleResult(line: line) == nil, "\(line)")
        }
    }

    @Test("decoding random lines never traps, and what decodes encodes to a line that decodes the same")
    func randomLines() {
        var random = SplitMix64(seed: 16)
        let alphabet = Array("0123456789 ,:+.-\"ACDEFIKLNOPRSTVX".utf8) + [0x0D, 0xFF]
        let lines = Self.samples.map(\.line)
        for _ in 0..<20_000 {
            var bytes = Array(lines[random.int(0...(lines.count - 1))].utf8)
            for _ in 0..<random.int(0...3) {
                let index = random.int(0...bytes.count)
                let byte = alphabet[random.int(0...(alphabet.count - 1))]
                if index < bytes.count, random.int(0...1) == 0 { bytes[index] = byte } else { bytes.insert(byte, at: index) }
            }
            let line = String(decoding: bytes, as: UTF8.self)
            if let result = ModuleResult(line: line) {
                #expect(ModuleResult(line: result.line) == result, "\(line)")
            }
        }
    }
}

@Suite("IPv4Address")
struct IPv4AddressTests {
    @Test("dotted quads parse; anything else does not")
    func parsing() {
        #expect(IPv4Address("10.64.0.2")?.value == 0x0A40_0002)
        #expect(IPv4Address("255.255.255.255")?.value == UInt32.max)
        #expect(IPv4Address("0.0.0.0")?.value == 0)
        for text in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d", "1.2.3.0004", "-1.2.3.4", "١.2.3.4"] {
            #expect(IPv4Address(text) == nil, "\(text)")
        }
    }

    @Test("every address prints as the text that parses back to it")
    func roundTrip() {
        var random = SplitMix64(seed: 4)
        for _ in 0..<10_000 {
            let address = IPv4Address(value: UInt32(truncatingIfNeeded: random.next()))
            #expect(IPv4Address(address.description) == address)
        }
    }

    @Test("random text never traps; what parses prints as text that parses to the same address")
    func randomText() {
        var random = SplitMix64(seed: 5)
        let alphabet = Array("0123456789.. x".utf8)
        for _ in 0..<20_000 {
            let bytes = (0..<random.int(0...18)).map { _ in alphabet[random.int(0...(alphabet.count - 1))] }
            let text = String(decoding: bytes, as: UTF8.self)
            // Leading zeros are accepted (`10.064.0.2`), as before; the printed form has none.
            if let address = IPv4Address(text) { #expect(IPv4Address(address.description) == address, "\(text)") }
        }
    }

    @Test("127.0.0.0/8 is loopback")
    func loopback() {
        #expect(IPv4Address("127.0.0.1")?.isLoopback == true)
        #expect(IPv4Address("127.255.0.9")?.isLoopback == true)
        #expect(IPv4Address("128.0.0.1")?.isLoopback == false)
    }
}

@Suite("ModuleFamily")
struct ModuleFamilyTests {
    @Test("SIM800-series modules have links 0–5, the SIM900 0–7")
    func linkCounts() {
        #expect(ModuleFamily.sim800.linkCount == 6)
        #expect(ModuleFamily.sim808.linkCount == 6)
        #expect(ModuleFamily.sim900.linkCount == 8)
        #expect(ModuleFamily.allCases.map(\.linkCount).max() == ModuleFamily.maximumLinkCount)
    }
}
