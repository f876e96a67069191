import Foundation
import ModemProtocol
import Testing

@testable import ModemClient

/// The lines of `modem watch --json`: one object per change, in the shapes docs/status-json.md gives.
struct StatusChangeDocumentTests {
    static func json(_ change: StatusChange) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(StatusChangeDocument(change, timeMilliseconds: 1234)), as: UTF8.self)
    }

    static let connected = LinkStatus(
        number: 0, bearer: 0, transport: .tcp, address: "1.2.3.4", port: 80, state: .connected)

    @Test func urc() throws {
        #expect(
            try Self.json(.unsolicited(.closed(link: 1)))
                == #"{"kind":"urc","line":"1, CLOSED","link":1,"time_ms":1234}"#)
        #expect(
            try Self.json(.unsolicited(.pdpDeactivated))
                == #"{"kind":"urc","line":"+PDP: DEACT","link":null,"time_ms":1234}"#)
        #expect(
            try Self.json(.unsolicited(.received(link: 2, bytes: [1, 2, 3])))
                == #"{"kind":"urc","length":3,"line":"+RECEIVE,2,3:","link":2,"time_ms":1234}"#)
    }

    @Test func statusIsTheStatusDocument() throws {
        let status = ConnectionStatus.multi(.ipProcessing, server: ServerStatus(port: 4010), links: [Self.connected])
        let line = try Self.json(.initial(status))
        #expect(line.hasPrefix(#"{"kind":"status","status":"#) && line.hasSuffix(#","time_ms":1234}"#))
        #expect(line.contains(try StatusDocumentTests.json(status)))
        #expect(try Self.json(.modeChanged(.single(.ipInitial))).hasPrefix(#"{"kind":"mode","status":{"links":[]"#))
    }

    @Test func changes() throws {
        #expect(
            try Self.json(.stateChanged(from: "IP STATUS", to: "IP PROCESSING"))
                == #"{"from":"IP STATUS","kind":"state","time_ms":1234,"to":"IP PROCESSING"}"#)
        #expect(
            try Self.json(.serverChanged(from: nil, to: ServerStatus(port: 4010)))
                == #"{"from":null,"kind":"server","time_ms":1234,"to":{"bearer":0,"index":0,"port":4010,"state":"LISTENING"}}"#)
        #expect(
            try Self.json(.linkChanged(from: nil, to: Self.connected))
                == #"{"from":null,"kind":"link","n":0,"time_ms":1234,"#
                + #""to":{"address":"1.2.3.4","bearer":0,"n":0,"port":80,"protocol":"TCP","state":"CONNECTED"}}"#)
        #expect(
            try Self.json(.linkChanged(from: .unused(0), to: Self.connected)).hasPrefix(
                #"{"from":{"address":"","bearer":null,"n":0,"port":null,"protocol":null,"state":"INITIAL"},"kind":"link""#
            ))
        #expect(
            try Self.json(.pollFailed(.transportClosed))
                == #"{"error":"The connection to the modem closed.","kind":"poll_failed","time_ms":1234}"#)
    }
}
