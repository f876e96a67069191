import Foundation
import ModemProtocol

/// The records of a trace file (docs/trace.md).
func readTrace(_ path: String) throws -> [TraceRecord] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return try text.split(separator: "\n").map { try JSONDecoder().decode(TraceRecord.self, from: Data($0.utf8)) }
}
