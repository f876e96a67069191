/// A small JSON reader that keeps the line of every value, so a scenario's errors can name it.
enum JSONReader {
    indirect enum Kind: Equatable {
        case object([Member])
        case array([Value])
        case string(String)
        case number(Double)
        case bool(Bool)
        case null
    }

    struct Value: Equatable {
        var value: Kind
        var line: Int
    }

    struct Member: Equatable {
        var key: String
        var value: Value
        /// The line of the key.
        var line: Int
    }

    static let maximumDepth = 32

    static func parse(_ text: String) throws(ScenarioError) -> Value {
        var reader = Cursor(bytes: Array(text.utf8))
        reader.skipSpace()
        guard !reader.atEnd else { throw ScenarioError(line: 1, reason: "the file is empty") }
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.atEnd else { throw reader.error("unexpected text after the end of the JSON value") }
        return value
    }

    struct Cursor {
        let bytes: [UInt8]
        var index = 0
        var line = 1

        var atEnd: Bool { index >= bytes.count }

        func error(_ reason: String) -> ScenarioError { ScenarioError(line: line, reason: "JSON syntax: \(reason)") }

        mutating func skipSpace() {
            while !atEnd {
                switch bytes[index] {
                case 0x0A:
                    line += 1
                    index += 1
                case 0x20, 0x09, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func expect(_ byte: UInt8) throws(ScenarioError) {
            skipSpace()
            guard !atEnd, bytes[index] == byte else {
                throw error("expected '\(Character(Unicode.Scalar(byte)))'\(atEnd ? " before the end of the file" : "")")
            }
            index += 1
        }

        mutating func value(depth: Int) throws(ScenarioError) -> Value {
            guard depth < JSONReader.maximumDepth else { throw error("nested too deeply") }
            skipSpace()
            guard !atEnd else { throw error("a value is missing before the end of the file") }
            let start = line
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var members: [Member] = []
                skipSpace()
                if !atEnd, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return Value(value: .object(members), line: start)
                }
                while true {
                    skipSpace()
                    let keyLine = line
                    guard !atEnd, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
                    let key = try string()
                    try expect(UInt8(ascii: ":"))
                    let value = try self.value(depth: depth + 1)
                    members.append(Member(key: key, value: value, line: keyLine))
                    skipSpace()
                    guard !atEnd else { throw error("expected ',' or '}' before the end of the file") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    guard bytes[index] == UInt8(ascii: "}") else { throw error("expected ',' or '}'") }
                    index += 1
                    return Value(value: .object(members), line: start)
                }
            case UInt8(ascii: "["):
                index += 1
                var items: [Value] = []
                skipSpace()
                if !atEnd, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return Value(value: .array(items), line: start)
                }
                while true {
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard !atEnd else { throw error("expected ',' or ']' before the end of the file") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    guard bytes[index] == UInt8(ascii: "]") else { throw error("expected ',' or ']'") }
                    index += 1
                    return Value(value: .array(items), line: start)
                }
            case UInt8(ascii: "\""):
                return Value(value: .string(try string()), line: start)
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                for (word, kind) in [("true", Kind.bool(true)), ("false", .bool(false)), ("null", .null)]
                where bytes[index...].starts(with: word.utf8) {
                    index += word.utf8.count
                    return Value(value: kind, line: start)
                }
                throw error("unknown word; expected true, false or null")
            default:
                let begin = index
                while !atEnd, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
                let text = String(decoding: bytes[begin..<index], as: UTF8.self)
                guard !text.isEmpty, let number = Double(text), number.isFinite else {
                    throw error(text.isEmpty ? "unexpected character '\(Character(Unicode.Scalar(bytes[begin])))'" : "'\(text)' is not a number")
                }
                return Value(value: .number(number), line: start)
            }
        }

        mutating func string() throws(ScenarioError) -> String {
            index += 1
            var out: [UInt8] = []
            while !atEnd {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard !atEnd else { break }
                    let escaped = bytes[index]
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                    default: throw error("unsupported escape '\\\(Character(Unicode.Scalar(escaped)))' in a string")
                    }
                case 0x0A, 0x0D:
                    throw error("a string is not closed before the end of the line")
                default:
                    out.append(byte)
                }
            }
            throw error("a string is not closed before the end of the file")
        }
    }
}
