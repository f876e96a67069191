import ModemProtocol
import Testing

/// Links used by the encoder and decoder tests.
enum SampleLinks {
    static let mosquitto = LinkStatus(
        number: 0, bearer: 0, transport: .tcp, address: "5.196.95.208", port: 1883, state: .connected)
    static let udp = LinkStatus(
        number: 0, bearer: 0, transport: .udp, address: "81.161.156.81", port: 14450, state: .connected)
    static let closed = LinkStatus(
        number: 3, bearer: 1, transport: .tcp, address: "192.227.251.64", port: 8002, state: .closed)
    static let connecting = LinkStatus(
        number: 2, bearer: 0, transport: .udp, address: "example.com", port: 53, state: .connecting)
}

/// The reply as the modem writes it: `OK`, then every line framed `\r\n…\r\n` (ATV1).
func framedReply(_ lines: [String]) -> [UInt8] {
    let formatter = ResponseFormatter()
    var output: [UInt8] = []
    formatter.appendResult(.ok, to: &output)
    for line in lines { formatter.appendLine(line, to: &output) }
    return output
}

@Suite("CIPSTATUSEncoder")
struct CIPSTATUSEncoderTests {
    static let sim800 = CIPSTATUSEncoder(dialect: .sim800)
    static let spec = CIPSTATUSEncoder(dialect: .spec)

    @Test("sim800 is the default dialect")
    func defaultDialect() {
        #expect(CIPSTATUSEncoder().dialect == .sim800)
        #expect(StatusDialect.allCases == [.sim800, .spec])
        #expect(StatusDialect(rawValue: "spec") == .spec)
    }

    @Test("single mode, both dialects: the exact reply bytes", arguments: StatusDialect.allCases)
    func singleReplyBytes(dialect: StatusDialect) {
        let lines = CIPSTATUSEncoder(dialect: dialect).executeLines(.single(.ipInitial))
        #expect(lines == ["STATE: IP INITIAL"])
        #expect(framedReply(lines) == ascii("\r\nOK\r\n\r\nSTATE: IP INITIAL\r\n"))
    }

    @Test(
        "every single-connection state word",
        arguments: [
            (SingleConnectionState.ipInitial, "STATE: IP INITIAL"),
            (.ipStart, "STATE: IP START"),
            (.ipConfig, "STATE: IP CONFIG"),
            (.ipGprsact, "STATE: IP GPRSACT"),
            (.ipStatus, "STATE: IP STATUS"),
            (.tcpConnecting, "STATE: TCP CONNECTING"),
            (.udpConnecting, "STATE: UDP CONNECTING"),
            (.serverListening, "STATE: SERVER LISTENING"),
            (.connectOK, "STATE: CONNECT OK"),
            (.tcpClosing, "STATE: TCP CLOSING"),
            (.udpClosing, "STATE: UDP CLOSING"),
            (.tcpClosed, "STATE: TCP CLOSED"),
            (.udpClosed, "STATE: UDP CLOSED"),
            (.pdpDeact, "STATE: PDP DEACT"),
            (.ipClose, "STATE: IP CLOSE"),
            (.unknown("IP IND"), "STATE: IP IND"),
        ])
    func singleStates(state: SingleConnectionState, line: String) {
        #expect(Self.sim800.executeLines(.single(state)) == [line])
        #expect(Self.spec.executeLines(.single(state)) == [line])
    }

    @Test(
        "every multi-connection state word",
        arguments: [
            (MultiConnectionState.ipInitial, "STATE: IP INITIAL"),
            (.ipStart, "STATE: IP START"),
            (.ipConfig, "STATE: IP CONFIG"),
            (.ipGprsact, "STATE: IP GPRSACT"),
            (.ipStatus, "STATE: IP STATUS"),
            (.ipProcessing, "STATE: IP PROCESSING"),
            (.pdpDeact, "STATE: PDP DEACT"),
        ])
    func multiStates(state: MultiConnectionState, line: String) {
        #expect(Self.sim800.executeLines(.multi(state, server: nil, links: [])) == [line])
        #expect(Self.spec.executeLines(.multi(state, server: nil, links: [])) == [line])
    }

    @Test(
        "every client state word, both dialects",
        arguments: [
            (
                ClientState.initial, #"C: 3,1,"TCP","192.227.251.64","8002","INITIAL""#,
                #"C: 3,1,"TCP","192.227.251.64",8002,"INITIAL""#
            ),
            (
                .connecting, #"C: 3,1,"TCP","192.227.251.64","8002","CONNECTING""#,
                #"C: 3,1,"TCP","192.227.251.64",8002,"CONNECTING""#
            ),
            (
                .connected, #"C: 3,1,"TCP","192.227.251.64","8002","CONNECTED""#,
                #"C: 3,1,"TCP","192.227.251.64",8002,"CONNECTED""#
            ),
            (
                .remoteClosing, #"C: 3,1,"TCP","192.227.251.64","8002","REMOTE CLOSING""#,
                #"C: 3,1,"TCP","192.227.251.64",8002,"REMOTE CLOSING""#
            ),
            (
                .closing, #"C: 3,1,"TCP","192.227.251.64","8002","CLOSING""#,
                #"C: 3,1,"TCP","192.227.251.64",8002,"CLOSING""#
            ),
            (
                .closed, #"C: 3,1,"TCP","192.227.251.64","8002","CLOSED""#,
                #"C: 3,1,"TCP","192.227.251.64",8002,"CLOSED""#
            ),
        ])
    func clientStates(state: ClientState, sim800Line: String, specLine: String) {
        var link = SampleLinks.closed
        link.state = state
        let status = ConnectionStatus.multi(.ipProcessing, server: nil, links: [link])
        #expect(Self.sim800.executeLines(status) == ["STATE: IP PROCESSING", sim800Line])
        #expect(Self.spec.executeLines(status) == ["STATE: IP PROCESSING", specLine])
    }

    @Test("sim800 multi mode: all six links, unused ones empty, ports quoted (KEN capture)")
    func sim800MultiSixLinks() {
        let status = ConnectionStatus.multi(
            .ipProcessing, server: nil, links: [SampleLinks.udp] + (1...5).map(LinkStatus.unused))
        let lines = Self.sim800.executeLines(status)
        #expect(
            lines == [
                "STATE: IP PROCESSING",
                #"C: 0,0,"UDP","81.161.156.81","14450","CONNECTED""#,
                #"C: 1,,"","","","INITIAL""#,
                #"C: 2,,"","","","INITIAL""#,
                #"C: 3,,"","","","INITIAL""#,
                #"C: 4,,"","","","INITIAL""#,
                #"C: 5,,"","","","INITIAL""#,
            ])
        #expect(
            framedReply(lines)
                == ascii(
                    "\r\nOK\r\n\r\nSTATE: IP PROCESSING\r\n"
                        + "\r\nC: 0,0,\"UDP\",\"81.161.156.81\",\"14450\",\"CONNECTED\"\r\n"
                        + "\r\nC: 1,,\"\",\"\",\"\",\"INITIAL\"\r\n"
                        + "\r\nC: 2,,\"\",\"\",\"\",\"INITIAL\"\r\n"
                        + "\r\nC: 3,,\"\",\"\",\"\",\"INITIAL\"\r\n"
                        + "\r\nC: 4,,\"\",\"\",\"\",\"INITIAL\"\r\n"
                        + "\r\nC: 5,,\"\",\"\",\"\",\"INITIAL\"\r\n"))
    }

    @Test("spec multi mode: ports unquoted, unused ones empty")
    func specMultiSixLinks() {
        let status = ConnectionStatus.multi(
            .ipProcessing, server: nil, links: [SampleLinks.udp] + (1...5).map(LinkStatus.unused))
        #expect(
            Self.spec.executeLines(status) == [
                "STATE: IP PROCESSING",
                #"C: 0,0,"UDP","81.161.156.81",14450,"CONNECTED""#,
                #"C: 1,,"","",,"INITIAL""#,
                #"C: 2,,"","",,"INITIAL""#,
                #"C: 3,,"","",,"INITIAL""#,
                #"C: 4,,"","",,"INITIAL""#,
                #"C: 5,,"","",,"INITIAL""#,
            ])
    }

    @Test("sim800 lists the S: line first while a server listens (HOLO6)")
    func sim800ServerLine() {
        let status = ConnectionStatus.multi(
            .ipProcessing, server: ServerStatus(bearer: 0, port: 4010),
            links: [SampleLinks.mosquitto, SampleLinks.closed])
        #expect(
            Self.sim800.executeLines(status) == [
                "STATE: IP PROCESSING",
                #"S: 0,0,"4010","LISTENING""#,
                #"C: 0,0,"TCP","5.196.95.208","1883","CONNECTED""#,
                #"C: 3,1,"TCP","192.227.251.64","8002","CLOSED""#,
            ])
    }

    @Test("the S: line prints the bearer and a state other than LISTENING")
    func sim800ServerFields() {
        let status = ConnectionStatus.multi(
            .ipStatus, server: ServerStatus(bearer: 1, port: 80, state: "CLOSING"), links: [])
        #expect(Self.sim800.executeLines(status) == ["STATE: IP STATUS", #"S: 0,1,"80","CLOSING""#])
    }

    @Test("spec has no S: line")
    func specNoServerLine() {
        let status = ConnectionStatus.multi(
            .ipProcessing, server: ServerStatus(bearer: 0, port: 4010), links: [SampleLinks.mosquitto])
        #expect(
            Self.spec.executeLines(status) == [
                "STATE: IP PROCESSING",
                #"C: 0,0,"TCP","5.196.95.208",1883,"CONNECTED""#,
            ])
    }

    @Test("AT+CIPSTATUS=<n>: +CIPSTATUS: prefix and quoted port in sim800")
    func sim800LinkLine() {
        #expect(
            Self.sim800.linkLine(SampleLinks.mosquitto) == #"+CIPSTATUS: 0,0,"TCP","5.196.95.208","1883","CONNECTED""#)
        #expect(Self.sim800.linkLine(.unused(4)) == #"+CIPSTATUS: 4,,"","","","INITIAL""#)
        #expect(
            Self.sim800.linkLine(SampleLinks.connecting) == #"+CIPSTATUS: 2,0,"UDP","example.com","53","CONNECTING""#)
    }

    @Test("AT+CIPSTATUS=<n>: no prefix and unquoted port in spec")
    func specLinkLine() {
        #expect(Self.spec.linkLine(SampleLinks.mosquitto) == #"0,0,"TCP","5.196.95.208",1883,"CONNECTED""#)
        #expect(Self.spec.linkLine(.unused(4)) == #"4,,"","",,"INITIAL""#)
        #expect(Self.spec.linkLine(SampleLinks.connecting) == #"2,0,"UDP","example.com",53,"CONNECTING""#)
    }

    @Test(
        "AT+CIPSTATUS=<n> reply bytes: the link line, then OK",
        arguments: [
            (StatusDialect.sim800, "\r\n+CIPSTATUS: 0,0,\"TCP\",\"5.196.95.208\",\"1883\",\"CONNECTED\"\r\n\r\nOK\r\n"),
            (.spec, "\r\n0,0,\"TCP\",\"5.196.95.208\",1883,\"CONNECTED\"\r\n\r\nOK\r\n"),
        ])
    func linkReplyBytes(dialect: StatusDialect, reply: String) {
        let formatter = ResponseFormatter()
        var output: [UInt8] = []
        formatter.appendLine(CIPSTATUSEncoder(dialect: dialect).linkLine(SampleLinks.mosquitto), to: &output)
        formatter.appendResult(.ok, to: &output)
        #expect(output == ascii(reply))
    }

    @Test("an unused link as a value")
    func unusedLink() {
        let link = LinkStatus.unused(5)
        #expect(link.number == 5)
        #expect(link.bearer == nil)
        #expect(link.transport == nil)
        #expect(link.address == "")
        #expect(link.port == nil)
        #expect(link.state == .initial)
    }
}

extension CIPSTATUSEncoder {
    /// The lines of ``appendExecute(_:formatter:to:)`` without framing, for comparisons.
    func executeLines(_ status: ConnectionStatus) -> [String] {
        var output: [UInt8] = []
        appendExecute(status, formatter: ResponseFormatter(), to: &output)
        return Self.lines(output)
    }

    /// The line of ``appendLinkLine(_:formatter:to:)`` without framing.
    func linkLine(_ link: LinkStatus) -> String {
        var output: [UInt8] = []
        appendLinkLine(link, formatter: ResponseFormatter(), to: &output)
        return Self.lines(output).joined()
    }

    private static func lines(_ output: [UInt8]) -> [String] {
        String(decoding: output, as: UTF8.self).split(separator: "\r\n").map(String.init)
    }
}
