/// A dotted-quad IPv4 address (`10.64.0.2`), the only address family of the module's TCP/IP
/// stack. Parsed strictly: four decimal parts of one to three digits, each at most 255.
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The address in host byte order (`10.0.0.1` is `0x0A00_0001`).
    public let value: UInt32

    public init(value: UInt32) {
        self.value = value
    }

    /// The address `text` spells, or `nil` when it is not a dotted quad.
    public init?(_ text: some StringProtocol) {
        var value: UInt32 = 0
        var parts = 0
        for part in text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard (1...3).contains(part.count), part.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            let number = part.reduce(0) { $0 * 10 + UInt32($1 - 0x30) }
            guard number <= 255 else { return nil }
            value = value << 8 | number
            parts += 1
        }
        guard parts == 4 else { return nil }
        self.value = value
    }

    /// `127.0.0.0/8`.
    public var isLoopback: Bool { value >> 24 == 127 }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }
}
