import Foundation
import ModemClient
import ModemProtocol

/// Text renderings of statuses for the terminal.
enum StatusTable {
    /// A reading's status; a module that gave no state line (A6/A7) shows `(none given)`.
    static func render(_ reading: StatusReading) -> String {
        render(reading.status, state: reading.stateReported ? nil : "(none given)")
    }

    private static func render(_ status: ConnectionStatus, state shown: String?) -> String {
        switch status {
        case .single(let state):
            return "mode: single\nstate: \(shown ?? state.rawValue)"
        case .multi(let state, let server, let links):
            var lines = ["mode: multi", "state: \(shown ?? state.rawValue)"]
            if let server {
                lines.append("server: port \(server.port), bearer \(server.bearer), \(server.state)")
            }
            lines.append(table(links))
            return lines.joined(separator: "\n")
        }
    }

    /// The links as aligned columns under a header.
    static func table(_ links: [LinkStatus]) -> String {
        let header = ["n", "bearer", "proto", "address", "port", "state"]
        let rows = links.map { row($0) }
        let widths = header.indices.map { column in
            ([header[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0
        }
        return ([header] + rows).map { cells in
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }

    static func row(_ link: LinkStatus) -> [String] {
        [
            String(link.number), link.bearer.map(String.init) ?? "-", link.transport?.rawValue ?? "-",
            link.address.isEmpty ? "-" : link.address, link.port.map(String.init) ?? "-", link.state.rawValue,
        ]
    }
}
