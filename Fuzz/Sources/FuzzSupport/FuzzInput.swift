/// The bytes libFuzzer hands a target, read as a sequence of small decisions: an operation code,
/// a number in a range, a run of bytes. Reading past the end gives zeros and empty runs, so every
/// input, however short, is a complete program.
public struct FuzzInput {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var offset = 0

    /// Wraps the buffer libFuzzer passes to `LLVMFuzzerTestOneInput` (`data` may be null when `size` is 0).
    public init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        bytes = UnsafeBufferPointer(start: size > 0 ? data : nil, count: size > 0 ? size : 0)
    }

    /// Whether unread bytes remain.
    public var isEmpty: Bool { offset >= bytes.count }

    /// All bytes, read or not.
    public var all: [UInt8] { Array(bytes) }

    /// The unread bytes, which are then read.
    public mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return offset < bytes.count ? Array(bytes[offset...]) : []
    }

    /// The next byte, or 0 past the end.
    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// A number in `range`, from one byte (two when the range is wider than 256).
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        let width = range.upperBound - range.lowerBound + 1
        let raw = width > 256 ? Int(byte()) << 8 | Int(byte()) : Int(byte())
        return range.lowerBound + raw % width
    }

    /// One of `items` (which must not be empty).
    public mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    /// A length byte followed by that many bytes (fewer at the end of the input).
    public mutating func run(maximum: Int = 255) -> [UInt8] {
        let count = min(int(0...maximum), bytes.count - offset)
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// The bytes up to the next `separator` (not included) or the end.
    public mutating func until(_ separator: UInt8) -> [UInt8] {
        var result: [UInt8] = []
        while offset < bytes.count {
            let byte = bytes[offset]
            offset += 1
            if byte == separator { break }
            result.append(byte)
        }
        return result
    }
}

/// Stops the process so that libFuzzer records the input: a broken promise is a finding like a crash.
public func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz check failed: \(message())") }
}
