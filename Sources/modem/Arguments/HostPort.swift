import ArgumentParser

/// A `HOST:PORT` option value: a name, an IPv4 address, or an IPv6 address in brackets
/// (`[::1]:7005`, as in URLs); `:PORT` is `127.0.0.1:PORT`.
struct HostPort: ExpressibleByArgument, Equatable, CustomStringConvertible {
    var host: String
    var port: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `1.2.3.4:port` or `[v6]:port`; `nil` for anything else, a bare IPv6
    /// address included (its colons make the port ambiguous).
    init?(argument: String) {
        let hostPart: Substring
        let portPart: Substring
        if argument.hasPrefix("[") {
            guard let close = argument.firstIndex(of: "]"), argument[argument.index(after: close)...].hasPrefix(":")
            else { return nil }
            hostPart = argument[argument.index(after: argument.startIndex)..<close]
            portPart = argument[argument.index(close, offsetBy: 2)...]
            guard hostPart.contains(":") else { return nil }
        } else {
            guard let colon = argument.firstIndex(of: ":"), argument.lastIndex(of: ":") == colon else { return nil }
            hostPart = argument[..<colon]
            portPart = argument[argument.index(after: colon)...]
        }
        guard let port = Int(portPart), (0...65535).contains(port) else { return nil }
        // `:PORT`, as socat and QEMU write it; here it means loopback, not every address.
        self.init(host: hostPart.isEmpty ? "127.0.0.1" : String(hostPart), port: port)
    }

    static var defaultCompletionKind: CompletionKind { .default }

    /// `host:port`, with an IPv6 host in brackets.
    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
