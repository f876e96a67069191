import Foundation
import ModemProtocol
import Testing

@testable import ModemClient

struct StatusDocumentTests {
    static func json(_ status: ConnectionStatus) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(StatusDocument(status)), as: UTF8.self)
    }

    @Test func multiSchema() throws {
        let status = ConnectionStatus.multi(
            .ipProcessing, server: ServerStatus(bearer: 0, port: 4010),
            links: [
                LinkStatus(number: 0, bearer: 0, transport: .tcp, address: "5.196.95.208", port: 1883, state: .connected),
                .unused(1),
            ])
        #expect(
            try Self.json(status)
                == #"{"links":[{"address":"5.196.95.208","bearer":0,"n":0,"port":1883,"protocol":"TCP","state":"CONNECTED"},"#
                + #"{"address":"","bearer":null,"n":1,"port":null,"protocol":null,"state":"INITIAL"}],"#
                + #""mode":"multi","server":{"bearer":0,"index":0,"port":4010,"state":"LISTENING"},"state":"IP PROCESSING"}"#)
    }

    @Test func singleSchema() throws {
        #expect(try Self.json(.single(.tcpClosed)) == #"{"links":[],"mode":"single","server":null,"state":"TCP CLOSED"}"#)
    }

    @Test func changesBetweenReadings() {
        let before = ConnectionStatus.multi(.ipStatus, server: nil, links: [.unused(0)])
        let link = LinkStatus(number: 0, bearer: 0, transport: .tcp, address: "1.2.3.4", port: 80, state: .connecting)
        let after = ConnectionStatus.multi(.ipProcessing, server: nil, links: [link])
        #expect(
            StatusChange.changes(from: before, to: after) == [
                .stateChanged(from: "IP STATUS", to: "IP PROCESSING"), .linkChanged(from: .unused(0), to: link),
            ])
        #expect(StatusChange.changes(from: before, to: .single(.ipInitial)) == [.modeChanged(.single(.ipInitial))])
    }
}
