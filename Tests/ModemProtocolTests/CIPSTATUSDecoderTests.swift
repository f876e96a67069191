import ModemProtocol
import TestSupport
import Testing

@Suite("CIPSTATUSDecoder: replies")
struct CIPSTATUSDecoderTests {
    static let kenLinks = [
        LinkStatus(number: 0, bearer: 0, transport: .udp, address: "81.161.156.81", port: 14450, state: .connected),
        LinkStatus(number: 1), LinkStatus(number: 2), LinkStatus(number: 3), LinkStatus(number: 4),
        LinkStatus(number: 5),
    ]

    @Test("sim800 multi reply as the KEN capture shows it, with echo and OK")
    func sim800Multi() throws {
        let reply =
            "AT+CIPSTATUS\r\r\n\r\nOK\r\n\r\nSTATE: IP PROCESSING\r\n\r\n"
            + "C: 0,0,\"UDP\",\"81.161.156.81\",\"14450\",\"CONNECTED\"\r\n"
            + "C: 1,,\"\",\"\",\"\",\"INITIAL\"\r\nC: 2,,\"\",\"\",\"\",\"INITIAL\"\r\n"
            + "C: 3,,\"\",\"\",\"\",\"INITIAL\"\r\nC: 4,,\"\",\"\",\"\",\"INITIAL\"\r\n"
            + "C: 5,,\"\",\"\",\"\",\"INITIAL\"\r\n"
        #expect(try CIPSTATUSDecoder.decodeStatus(reply) == .multi(.ipProcessing, server: nil, links: Self.kenLinks))
    }

    @Test("spec multi reply: unquoted port, empty port of an unused link")
    func specMulti() throws {
        let reply =
            "\r\nOK\r\n\r\nSTATE: IP PROCESSING\r\n\r\nC: 0,0,\"UDP\",\"81.161.156.81\",14450,\"CONNECTED\"\r\n"
            + "\r\nC: 1,,\"\",\"\",,\"INITIAL\"\r\n"
        #expect(
            try CIPSTATUSDecoder.decodeStatus(reply)
                == .multi(.ipProcessing, server: nil, links: [Self.kenLinks[0], LinkStatus(number: 1)]))
    }

    @Test(
        "the S: line (HOLO6) and the manual's spaced form of it",
        arguments: [
            #"S: 0,0,"4010","LISTENING""#, "S: 0, 0, 4010, LISTENING", "s:0,0,4010,listening",
            "S: 0,,\"4010\",\"LISTENING\"",
        ])
    func serverLine(line: String) throws {
        let reply = "\r\nOK\r\n\r\nSTATE: IP PROCESSING\r\n\r\n\(line)\r\n"
        #expect(
            try CIPSTATUSDecoder.decodeStatus(reply)
                == .multi(.ipProcessing, server: ServerStatus(bearer: 0, port: 4010, state: "LISTENING"), links: []))
    }

    @Test("single reply with echo, OK and blank lines")
    func single() throws {
        #expect(
            try CIPSTATUSDecoder.decodeStatus("AT+CIPSTATUS\r\r\n\r\nOK\r\n\r\nSTATE: IP INITIAL\r\n")
                == .single(.ipInitial))
    }

    @Test(
        "line ends: CRLF, LF only, CR only, mixed, blank lines",
        arguments: [
            "\r\nOK\r\n\r\nSTATE: IP PROCESSING\r\n\r\nC: 0,0,\"TCP\",\"5.196.95.208\",\"1883\",\"CONNECTED\"\r\n",
            "OK\nSTATE: IP PROCESSING\nC: 0,0,\"TCP\",\"5.196.95.208\",\"1883\",\"CONNECTED\"\n",
            "OK\rSTATE: IP PROCESSING\rC: 0,0,\"TCP\",\"5.196.95.208\",\"1883\",\"CONNECTED\"",
            "\n\n\nOK\n\n\r\n\rSTATE: IP PROCESSING\n\n\r\r\n"
                + "C: 0,0,\"TCP\",\"5.196.95.208\",\"1883\",\"CONNECTED\"\n\n",
            "STATE: IP PROCESSING\r\nC: 0,0,\"TCP\",\"5.196.95.208\",\"1883\",\"CONNECTED\"",
        ])
    func lineEnds(reply: String) throws {
        #expect(
            try CIPSTATUSDecoder.decodeStatus(reply)
                == .multi(.ipProcessing, server: nil, links: [SampleLinks.mosquitto]))
    }

    @Test(
        "link line variants",
        arguments: [
            #"C: 0,0,"TCP","5.196.95.208","1883","CONNECTED""#,
            #"C:0,0,"TCP","5.196.95.208","1883","CONNECTED""#,
            #"C: 0, 0, "TCP", "5.196.95.208", 1883, "CONNECTED""#,
            #"C: 0,0,TCP,5.196.95.208,1883,CONNECTED"#,
            #"  C:   0 ,0 , "TCP" ,"5.196.95.208" , "1883" , "CONNECTED"  "#,
            #"c: 0,0,"tcp","5.196.95.208","1883","connected""#,
            #"C: 0,0,"TCP","5.196.95.208","1883"," CONNECTED ""#,
            #"C: 0,0,"TCP"," 5.196.95.208 ","1883","Connected""#,
            "C: 0,0,\"TCP\",\"5.196.95.208\",\"1883\",\"CONNECTED\"\t",
        ])
    func linkLineVariants(line: String) throws {
        #expect(try CIPSTATUSDecoder.decodeLine(line) == .link(SampleLinks.mosquitto))
        #expect(
            try CIPSTATUSDecoder.decodeStatus("STATE: IP PROCESSING\n\(line)\n")
                == .multi(.ipProcessing, server: nil, links: [SampleLinks.mosquitto]))
    }

    @Test(
        "AT+CIPSTATUS=<n> replies: +CIPSTATUS: prefix or none, quoted port or not",
        arguments: [
            "AT+CIPSTATUS=0\r\r\n\r\n+CIPSTATUS: 0,0,\"TCP\",\"5.196.95.208\",\"1883\",\"CONNECTED\"\r\n\r\nOK\r\n",
            "\r\n0,0,\"TCP\",\"5.196.95.208\",1883,\"CONNECTED\"\r\n\r\nOK\r\n",
            "+CIPSTATUS:0,0,\"TCP\",\"5.196.95.208\",\"1883\",\"CONNECTED\"\nOK\n",
            "+cipstatus: 0, 0, tcp, 5.196.95.208, 1883, connected",
            "+CIPSTATUS: C: 0,0,\"TCP\",\"5.196.95.208\",\"1883\",\"CONNECTED\"",
            "+CIPRXGET: 1,0\r\n0, CONNECT OK\r\n+CIPSTATUS: 0,0,\"TCP\",\"5.196.95.208\",\"1883\",\"CONNECTED\"\r\n",
        ])
    func linkReplies(reply: String) throws {
        #expect(try CIPSTATUSDecoder.decodeLink(reply) == SampleLinks.mosquitto)
    }

    @Test("an address that is not an IP address is kept as text (TG471)")
    func maskedAddress() throws {
        #expect(
            try CIPSTATUSDecoder.decodeLink(#"+CIPSTATUS: 0,0,"TCP","ip.ip.ip.ip","1883","CLOSED""#)
                == LinkStatus(number: 0, bearer: 0, transport: .tcp, address: "ip.ip.ip.ip", port: 1883, state: .closed)
        )
    }

    @Test("the first link line of a reply is the answer to AT+CIPSTATUS=<n>")
    func firstLinkLineWins() throws {
        let reply =
            "+CIPSTATUS: 3,1,\"TCP\",\"192.227.251.64\",\"8002\",\"CLOSED\"\r\n"
            + "+CIPSTATUS: 0,,\"\",\"\",\"\",\"INITIAL\"\r\n"
        #expect(try CIPSTATUSDecoder.decodeLink(reply) == SampleLinks.closed)
    }

    @Test(
        "lines that are not part of a status decode to nil",
        arguments: [
            "", "   ", "OK", "ERROR", "AT+CIPSTATUS", "AT+CIPSTATUS=0", "0, CONNECT OK", "0, CLOSE OK", "CONNECT FAIL",
            "SEND OK", "SHUT OK", "SERVER OK", "CLOSED", "Call Ready", "10.40.77.11", "+CIPRXGET: 2,0,4,0",
            "DATA ACCEPT:0,27", "+PDP: DEACT", "+CME ERROR: operation not allowed", "1,2,3,4,5", "1,2,3,4,5,6,7",
        ])
    func notStatusLines(line: String) throws {
        #expect(try CIPSTATUSDecoder.decodeLine(line) == nil)
    }

    @Test("decodeLine reports each kind of line")
    func decodeLineKinds() throws {
        #expect(try CIPSTATUSDecoder.decodeLine("STATE: IP PROCESSING") == .state("IP PROCESSING"))
        #expect(try CIPSTATUSDecoder.decodeLine("  state:   pdp deact ") == .state("pdp deact"))
        #expect(try CIPSTATUSDecoder.decodeLine("+CIPSTATUS: STATE: IP STATUS") == .state("IP STATUS"))
        #expect(
            try CIPSTATUSDecoder.decodeLine(#"S: 0,1,"80","LISTENING""#)
                == .server(ServerStatus(bearer: 1, port: 80, state: "LISTENING")))
        #expect(
            try CIPSTATUSDecoder.decodeLine(#"C: 1,,"","","","INITIAL""#)
                == .link(LinkStatus(number: 1, state: .initial)))
    }

    @Test("an empty client state is kept as unknown(\"\")")
    func emptyClientState() throws {
        #expect(
            try CIPSTATUSDecoder.decodeLine(#"C: 1,,"","","","""#) == .link(LinkStatus(number: 1, state: .unknown(""))))
    }

    @Test("an unknown transport is read as none")
    func unknownTransport() throws {
        #expect(
            try CIPSTATUSDecoder.decodeLine(#"C: 1,0,"SCTP","1.2.3.4","9","CONNECTED""#)
                == .link(LinkStatus(number: 1, bearer: 0, address: "1.2.3.4", port: 9, state: .connected)))
    }

    // MARK: State words

    @Test(
        "every single-connection state word, in any case",
        arguments: [
            ("IP INITIAL", SingleConnectionState.ipInitial), ("IP START", .ipStart), ("IP CONFIG", .ipConfig),
            ("IP GPRSACT", .ipGprsact), ("IP STATUS", .ipStatus), ("TCP CONNECTING", .tcpConnecting),
            ("UDP CONNECTING", .udpConnecting), ("SERVER LISTENING", .serverListening), ("CONNECT OK", .connectOK),
            ("TCP CLOSING", .tcpClosing), ("UDP CLOSING", .udpClosing), ("TCP CLOSED", .tcpClosed),
            ("UDP CLOSED", .udpClosed), ("PDP DEACT", .pdpDeact), ("IP CLOSE", .ipClose),
            ("ip initial", .ipInitial), ("Connect Ok", .connectOK), ("IP_CLOSE", .ipClose), ("TCP  CLOSED", .tcpClosed),
            ("\"PDP DEACT\"", .pdpDeact),
        ])
    func singleWords(word: String, state: SingleConnectionState) throws {
        #expect(try CIPSTATUSDecoder.decodeStatus("\r\nOK\r\n\r\nSTATE: \(word)\r\n") == .single(state))
    }

    @Test(
        "every multi-connection state word",
        arguments: [
            ("IP INITIAL", MultiConnectionState.ipInitial), ("IP START", .ipStart), ("IP CONFIG", .ipConfig),
            ("IP GPRSACT", .ipGprsact), ("IP STATUS", .ipStatus), ("IP PROCESSING", .ipProcessing),
            ("PDP DEACT", .pdpDeact), ("ip processing", .ipProcessing),
        ])
    func multiWords(word: String, state: MultiConnectionState) throws {
        #expect(
            try CIPSTATUSDecoder.decodeStatus("STATE: \(word)\r\nC: 1,,\"\",\"\",\"\",\"INITIAL\"\r\n")
                == .multi(state, server: nil, links: [LinkStatus(number: 1)]))
    }

    @Test(
        "every client state word",
        arguments: [
            ("INITIAL", ClientState.initial), ("CONNECTING", .connecting), ("CONNECTED", .connected),
            ("REMOTE CLOSING", .remoteClosing), ("CLOSING", .closing), ("CLOSED", .closed),
            ("remote closing", .remoteClosing),
        ])
    func clientWords(word: String, state: ClientState) throws {
        #expect(
            try CIPSTATUSDecoder.decodeLine("C: 2,0,\"UDP\",\"example.com\",\"53\",\"\(word)\"")
                == .link(
                    LinkStatus(number: 2, bearer: 0, transport: .udp, address: "example.com", port: 53, state: state)))
    }

    @Test("unknown state words are kept as they were sent")
    func unknownWords() throws {
        #expect(try CIPSTATUSDecoder.decodeStatus("OK\nSTATE: IP IND\n") == .single(.unknown("IP IND")))
        #expect(try CIPSTATUSDecoder.decodeStatus("OK\nSTATE: ip ind\n") == .single(.unknown("ip ind")))
        #expect(
            try CIPSTATUSDecoder.decodeStatus("OK\nSTATE: IP WAITING\nC: 1,,\"\",\"\",\"\",\"INITIAL\"\n")
                == .multi(.unknown("IP WAITING"), server: nil, links: [LinkStatus(number: 1)]))
        #expect(
            try CIPSTATUSDecoder.decodeLine(#"C: 1,0,"TCP","1.2.3.4","9","LINGERING""#)
                == .link(
                    LinkStatus(
                        number: 1, bearer: 0, transport: .tcp, address: "1.2.3.4", port: 9, state: .unknown("LINGERING")
                    )))
        #expect(try CIPSTATUSDecoder.decodeStatus("STATE:\n") == .single(.unknown("")))
    }

    @Test("the server state word is normalized")
    func serverStateWord() throws {
        #expect(
            try CIPSTATUSDecoder.decodeLine("S: 0,0,4010, listening ")
                == .server(ServerStatus(bearer: 0, port: 4010, state: "LISTENING")))
    }

    // MARK: Single or multi

    @Test("without a hint, C:, S: or IP PROCESSING mean multi")
    func modeDetection() throws {
        #expect(
            try CIPSTATUSDecoder.decodeStatus("STATE: IP PROCESSING") == .multi(.ipProcessing, server: nil, links: []))
        #expect(try CIPSTATUSDecoder.decodeStatus("STATE: IP STATUS") == .single(.ipStatus))
        #expect(
            try CIPSTATUSDecoder.decodeStatus("STATE: IP STATUS\nS: 0,0,\"80\",\"LISTENING\"")
                == .multi(.ipStatus, server: ServerStatus(bearer: 0, port: 80), links: []))
        #expect(
            try CIPSTATUSDecoder.decodeStatus("STATE: IP STATUS\nC: 0,,\"\",\"\",\"\",\"INITIAL\"")
                == .multi(.ipStatus, server: nil, links: [LinkStatus(number: 0)]))
    }

    @Test("the caller's mode wins")
    func modeHint() throws {
        #expect(
            try CIPSTATUSDecoder.decodeStatus("STATE: IP STATUS", multiConnection: true)
                == .multi(.ipStatus, server: nil, links: []))
        #expect(
            try CIPSTATUSDecoder.decodeStatus("STATE: IP PROCESSING", multiConnection: false)
                == .single(.unknown("IP PROCESSING")))
        #expect(
            try CIPSTATUSDecoder.decodeStatus(
                "STATE: CONNECT OK\nC: 0,,\"\",\"\",\"\",\"INITIAL\"", multiConnection: false)
                == .single(.connectOK))
    }

    // MARK: Errors

    @Test(
        "no STATE: line",
        arguments: [
            "", "\r\nOK\r\n", "AT+CIPSTATUS\r\nOK\r\n", "C: 0,,\"\",\"\",\"\",\"INITIAL\"\r\n",
            "S: 0,0,\"4010\",\"LISTENING\"",
            "\r\n+CIPSTATUS: 0,0,\"TCP\",\"5.196.95.208\",\"1883\",\"CONNECTED\"\r\n", "ERROR", "STATUS: IP INITIAL",
        ])
    func missingState(reply: String) {
        #expect(throws: CIPSTATUSDecodingError.missingStateLine) { try CIPSTATUSDecoder.decodeStatus(reply) }
    }

    @Test("no link line", arguments: ["", "\r\nOK\r\n", "\r\nERROR\r\n", "STATE: IP PROCESSING\r\n", "0, CLOSE OK"])
    func missingLink(reply: String) {
        #expect(throws: CIPSTATUSDecodingError.missingLinkLine) { try CIPSTATUSDecoder.decodeLink(reply) }
    }

    @Test(
        "malformed C: and link lines are rejected, not guessed at",
        arguments: [
            "C: 0,0,\"TCP\",\"1.2.3.4\",\"80\"",
            "C:",
            "C: ",
            "C: x,0,\"TCP\",\"1.2.3.4\",\"80\",\"CONNECTED\"",
            "C: ,0,\"TCP\",\"1.2.3.4\",\"80\",\"CONNECTED\"",
            "C: 0,0,\"TCP\",\"1.2.3.4\",\"80\",\"CONNECTED\",\"EXTRA\"",
            "C: 0,0,\"TCP\",\"1.2.3.4\",\"80\",\"CONNECTED",
            "C: 0,0,\"TCP\",\"1.2.3.4\",\"8\"0\",\"CONNECTED\"",
            "+CIPSTATUS: 0,0,\"TCP\",\"1.2.3.4\",\"80\"",
            "+CIPSTATUS: 0,0,\"TCP\",\"1.2.3.4\",\"80\",\"CONNECTED\",\"\"",
            "1.2,0,\"TCP\",\"1.2.3.4\",\"80\",\"CONNECTED\"",
        ])
    func malformedLink(line: String) {
        #expect(throws: CIPSTATUSDecodingError.malformedLink(line)) { try CIPSTATUSDecoder.decodeLine(line) }
    }

    @Test("a malformed C: line fails the whole reply, naming the line")
    func malformedLinkInReply() {
        let reply = "\r\nOK\r\n\r\nSTATE: IP PROCESSING\r\n\r\nC: 0,0,\"TCP\"\r\nC: 1,,\"\",\"\",\"\",\"INITIAL\"\r\n"
        #expect(throws: CIPSTATUSDecodingError.malformedLink("C: 0,0,\"TCP\"")) {
            try CIPSTATUSDecoder.decodeStatus(reply)
        }
        #expect(throws: CIPSTATUSDecodingError.malformedLink("C: 0,0,\"TCP\"")) {
            try CIPSTATUSDecoder.decodeLink(reply)
        }
    }

    @Test(
        "malformed S: lines",
        arguments: [
            "S: 0,0,\"4010\"", "S:", "S: 0,x,\"4010\",\"LISTENING\"", "S: 0,0,\"port\",\"LISTENING\"",
            "S: 0,0,,\"LISTENING\"",
        ])
    func malformedServer(line: String) {
        #expect(throws: CIPSTATUSDecodingError.malformedServer(line)) { try CIPSTATUSDecoder.decodeLine(line) }
    }
}
