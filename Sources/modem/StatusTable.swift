import Foundation
import ModemClient
import ModemProtocol

/// Text renderings of statuses and changes for the terminal.
enum StatusTable {
    static func render(_ status: ConnectionStatus) -> String {
        switch status {
        case .single(let state):
            return "mode: single\nstate: \(state.rawValue)"
        case .multi(let state, let server, let links):
            var lines = ["mode: multi", "state: \(state.rawValue)"]
            if let server {
                lines.append("server: port \(server.port), bearer \(server.bearer), \(server.state)")
            }
            let header = ["n", "bearer", "proto", "address", "port", "state"]
            let rows = links.map { row($0) }
            let widths = header.indices.map { column in
                ([header[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0
            }
            for cells in [header] + rows {
                lines.append(
                    zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                        .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            }
            return lines.joined(separator: "\n")
        }
    }

    static func row(_ link: LinkStatus) -> [String] {
        [
            String(link.number), link.bearer.map(String.init) ?? "-", link.transport?.rawValue ?? "-",
            link.address.isEmpty ? "-" : link.address, link.port.map(String.init) ?? "-", link.state.rawValue,
        ]
    }
}
