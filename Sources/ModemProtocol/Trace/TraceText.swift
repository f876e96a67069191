/// A trace record as one line a person reads: the time in ms, an arrow for the direction, and
/// what was said (`  15.230 → AT+CIPSTATUS`, `  15.901 ← STATE: IP INITIAL`, `  16.002 → [5 bytes]`).
public struct TraceText: CustomStringConvertible, Sendable {
    public let record: TraceRecord

    public init(_ record: TraceRecord) {
        self.record = record
    }

    /// The time in milliseconds with three decimals, right-aligned.
    public var time: String {
        let milliseconds = record.time / 1000
        let fraction = String(record.time % 1000)
        let text = "\(milliseconds).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
        return String(repeating: " ", count: max(0, 9 - text.count)) + text
    }

    /// `→` host to module, `←` module to host, `·` the network.
    public var arrow: String {
        switch record.direction {
        case .host: "→"
        case .module: "←"
        case .network: "·"
        }
    }

    /// What was said: a line's text, `[n bytes]` for data, `>` for the prompt.
    public var content: String {
        switch record.kind {
        case .data, .received:
            let count = record.length ?? record.bytes.count
            return (record.link.map { "link \($0): " } ?? "") + "[\(count) bytes]"
        case .prompt:
            return ">"
        case .echo:
            return "(echo) " + Self.printable(record.bytes)
        default:
            return Self.printable(record.bytes)
        }
    }

    public var description: String { "\(time) \(arrow) \(content)" }

    /// The bytes without line ends, control bytes shown as `<1A>`.
    public static func printable(_ bytes: [UInt8]) -> String {
        var text = ""
        for byte in bytes where byte != 0x0D && byte != 0x0A {
            if (0x20..<0x7F).contains(byte) {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                text += "<" + (hex.count == 1 ? "0" : "") + hex + ">"
            }
        }
        return text
    }
}
