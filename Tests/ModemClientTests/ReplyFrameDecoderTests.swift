import Testing

@testable import ModemClient
@testable import ModemProtocol

struct ReplyFrameDecoderTests {
    @Test func linesWithCRLFLFAndBlankLines() {
        var decoder = ReplyFrameDecoder()
        let frames = decoder.frames(Array("AT+CSQ\r\r\n\r\n+CSQ: 20,0\n\nOK\r".utf8))
        #expect(frames == [.line("AT+CSQ"), .line("+CSQ: 20,0"), .line("OK")])
    }

    @Test func promptWithoutTerminator() {
        var decoder = ReplyFrameDecoder()
        #expect(decoder.frames(Array("\r\n> ".utf8)) == [.prompt])
        #expect(!decoder.hasPartialFrame)
    }

    @Test func countedPayloadSurvivesAnySplit() {
        let payload: [UInt8] = Array("\r\nOK\r\n> ".utf8) + [0, 0x0D]
        let bytes = Array("\r\n+CIPRXGET: 2,0,\(payload.count),0\r\n".utf8) + payload + Array("\r\nOK\r\n".utf8)
        let expected: [ReplyFrame] = [.data(header: "+CIPRXGET: 2,0,\(payload.count),0", bytes: payload), .line("OK")]
        for split in 0...bytes.count {
            var decoder = ReplyFrameDecoder()
            var frames = decoder.frames(bytes[..<split])
            frames += decoder.frames(bytes[split...])
            #expect(frames == expected, "split at \(split)")
        }
    }

    @Test func singleModeReadAndLFOnlyHeader() {
        var decoder = ReplyFrameDecoder()
        // After a LF-terminated header, a leading LF is payload.
        #expect(decoder.frames(Array("+CIPRXGET: 2,2,0\n\nx\nOK\n".utf8)) == [
            .data(header: "+CIPRXGET: 2,2,0", bytes: [0x0A, 0x78]), .line("OK"),
        ])
    }

    @Test func receiveAndIPDHeaders() {
        var decoder = ReplyFrameDecoder()
        #expect(decoder.frames(Array("\r\n+RECEIVE,0,3:\r\nabc\r\n+IPD,2:\r\n".utf8)) == [
            .data(header: "+RECEIVE,0,3:", bytes: Array("abc".utf8)),
            .data(header: "+IPD,2:", bytes: [0x0D, 0x0A]),
        ])
    }

    @Test func otherCIPRXGETFormsAreLines() {
        var decoder = ReplyFrameDecoder()
        #expect(decoder.frames(Array("+CIPRXGET: 1,0\r\n+CIPRXGET: 4,0,12\r\n+CIPRXGET: 2,x,1,0\r\n".utf8)) == [
            .line("+CIPRXGET: 1,0"), .line("+CIPRXGET: 4,0,12"), .line("+CIPRXGET: 2,x,1,0"),
        ])
    }

    @Test func overlongLineIsCut() {
        var decoder = ReplyFrameDecoder(maximumLineLength: 8)
        #expect(decoder.frames(Array("0123456789\r\n".utf8)) == [.line("01234567"), .line("89")])
    }
}

struct UnsolicitedResultTests {
    @Test(arguments: [
        ("RDY", UnsolicitedResult.ready),
        ("+CFUN: 1", .functionality("1")),
        ("+CPIN: NOT READY", .simStatus("NOT READY")),
        ("Call Ready", .callReady),
        ("SMS Ready", .smsReady),
        ("CONNECT OK", .connectOK(link: nil)),
        ("0, CONNECT OK", .connectOK(link: 0)),
        ("0,CONNECT OK", .connectOK(link: 0)),
        ("CONNECT FAIL", .connectFailed(link: nil)),
        ("0, CONNECT FAIL", .connectFailed(link: 0)),
        ("1, ALREADY CONNECT", .alreadyConnected(link: 1)),
        ("CLOSED", .closed(link: nil)),
        ("5, CLOSED", .closed(link: 5)),
        ("+PDP: DEACT", .pdpDeactivated),
        ("+CIPRXGET: 1", .dataAvailable(link: nil)),
        ("+CIPRXGET: 1,0", .dataAvailable(link: 0)),
        ("REMOTE IP: 1.2.3.4", .remoteIP(link: nil, address: "1.2.3.4")),
        ("0, REMOTE IP: 1.2.3.4", .remoteIP(link: 0, address: "1.2.3.4")),
        (#"+CDNSGIP: 1,"example.com","93.184.216.34""#, .dnsResult(#"1,"example.com","93.184.216.34""#)),
        ("SERVER OK", .serverOK),
        ("STATE: TCP CLOSED", .state("TCP CLOSED")),
    ])
    func classifies(line: String, expected: UnsolicitedResult) {
        #expect(UnsolicitedResult(line: line) == expected)
    }

    @Test(arguments: ["OK", "0, SEND OK", "0, CLOSE OK", "SHUT OK", #"0,0,"TCP","1.2.3.4",80,"CONNECTED""#, "+CIPRXGET: 4,0,0"])
    func replyLinesAreNotUnsolicited(line: String) {
        #expect(UnsolicitedResult(line: line) == nil)
    }
}
