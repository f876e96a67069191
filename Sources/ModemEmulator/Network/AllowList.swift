import ModemProtocol

/// Where links may connect (`--allow HOST|CIDR`): an emulator that opens sockets on command is a
/// proxy, so a deployment can restrict it. An empty list allows everything.
public struct AllowList: Sendable, Equatable {
    /// One `--allow` entry.
    public enum Entry: Sendable, Equatable, CustomStringConvertible {
        /// A host name, matched case-insensitively against the name `AT+CIPSTART` gave.
        case host(String)
        /// An IPv4 network; a single address is a /32.
        case network(address: UInt32, prefixLength: Int)

        public var description: String {
            switch self {
            case .host(let name): name
            case .network(let address, let length): "\(IPv4Address(value: address))/\(length)"
            }
        }
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    /// Whether the list restricts anything.
    public var isRestricted: Bool { !entries.isEmpty }

    /// Adds an entry: a host name, an IPv4 address, or an IPv4 CIDR (`10.0.0.0/8`).
    public mutating func add(_ text: String) throws(AllowListError) {
        if let slash = text.firstIndex(of: "/") {
            guard let address = IPv4Address(text[..<slash])?.value,
                let length = Int(text[text.index(after: slash)...]), (0...32).contains(length)
            else { throw .invalidEntry(text) }
            entries.append(.network(address: address, prefixLength: length))
        } else if let address = IPv4Address(text)?.value {
            entries.append(.network(address: address, prefixLength: 32))
        } else {
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .invalidEntry(text) }
            entries.append(.host(text.lowercased()))
        }
    }

    /// Whether a connection to `host` (as given) that resolved to `address` is allowed.
    public func allows(host: String, address: String) -> Bool {
        guard isRestricted else { return true }
        let numeric = IPv4Address(address)?.value
        return entries.contains { entry in
            switch entry {
            case .host(let name):
                return name == host.lowercased()
            case .network(let network, let length):
                guard let numeric else { return false }
                let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << (32 - length)
                return numeric & mask == network & mask
            }
        }
    }
}

/// A malformed `--allow` entry.
public enum AllowListError: Error, CustomStringConvertible {
    case invalidEntry(String)

    public var description: String {
        switch self {
        case .invalidEntry(let text):
            "'\(text)' is not a host name, an IPv4 address or an IPv4 CIDR such as 10.0.0.0/8"
        }
    }
}
