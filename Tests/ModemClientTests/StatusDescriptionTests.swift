import ModemProtocol
import Testing

@testable import ModemClient

/// The status model and the changes of `watch(every:)` print as compact text in the module's words.
struct StatusDescriptionTests {
    static let connected = LinkStatus(
        number: 0, bearer: 0, transport: .tcp, address: "1.2.3.4", port: 80, state: .connected)

    @Test func connectionStatus() {
        #expect("\(ConnectionStatus.single(.ipStatus))" == "single IP STATUS")
        #expect("\(ConnectionStatus.single(.unknown("NEW WORD")))" == "single NEW WORD")
        #expect(
            "\(ConnectionStatus.multi(.ipStatus, server: nil, links: (0..<6).map(LinkStatus.unused)))"
                == "multi IP STATUS, 0 link(s)")
        let status = ConnectionStatus.multi(
            .ipProcessing, server: nil, links: [Self.connected] + (1..<6).map(LinkStatus.unused))
        #expect("\(status)" == "multi IP PROCESSING, 1 link(s): 0 CONNECTED TCP 1.2.3.4:80")
        let two = ConnectionStatus.multi(
            .ipProcessing, server: ServerStatus(port: 4010),
            links: [
                Self.connected,
                LinkStatus(number: 1, bearer: 0, transport: .udp, address: "h", port: 53, state: .closing),
            ])
        #expect(
            "\(two)"
                == "multi IP PROCESSING, server LISTENING on port 4010, 2 link(s): 0 CONNECTED TCP 1.2.3.4:80, "
                + "1 CLOSING UDP h:53")
    }

    @Test func parts() {
        #expect("\(Self.connected)" == "0 CONNECTED TCP 1.2.3.4:80")
        #expect("\(LinkStatus.unused(3))" == "3 INITIAL")
        #expect("\(ServerStatus(bearer: 1, port: 4010))" == "LISTENING on port 4010")
        #expect("\(SingleConnectionState.tcpConnecting)" == "TCP CONNECTING")
        #expect("\(MultiConnectionState.ipProcessing)" == "IP PROCESSING")
        #expect("\(ClientState.remoteClosing)" == "REMOTE CLOSING")
        #expect("\(TransportProtocol.udp)" == "UDP")
    }

    @Test func changes() {
        #expect("\(StatusChange.initial(.single(.ipInitial)))" == "status single IP INITIAL")
        #expect("\(StatusChange.modeChanged(.single(.ipInitial)))" == "mode single IP INITIAL")
        #expect(
            "\(StatusChange.stateChanged(from: "IP STATUS", to: "IP PROCESSING"))"
                == "state IP STATUS -> IP PROCESSING")
        #expect(
            "\(StatusChange.serverChanged(from: nil, to: ServerStatus(port: 4010)))"
                == "server none -> LISTENING on port 4010")
        #expect(
            "\(StatusChange.serverChanged(from: ServerStatus(port: 4010), to: nil))"
                == "server LISTENING on port 4010 -> none")
        #expect(
            "\(StatusChange.linkChanged(from: .unused(0), to: Self.connected))"
                == "link 0 INITIAL -> CONNECTED TCP 1.2.3.4:80")
        #expect("\(StatusChange.linkChanged(from: nil, to: .unused(6)))" == "link 6 new -> INITIAL")
        #expect("\(StatusChange.unsolicited(.closed(link: 1)))" == "urc 1, CLOSED")
        #expect("\(StatusChange.unsolicited(.pdpDeactivated))" == "urc +PDP: DEACT")
        #expect(
            "\(StatusChange.pollFailed(.transportClosed))"
                == "poll failed: The connection to the modem closed.")
    }
}
