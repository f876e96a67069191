import ArgumentParser
import ModemHTTP

/// `--http`'s value: `PORT` or `:PORT` (loopback, as socat and QEMU read `:PORT`), or `HOST:PORT`.
struct LiveAddress: ExpressibleByArgument {
    var options: LiveServerOptions

    init?(argument: String) {
        let portText = argument.hasPrefix(":") ? String(argument.dropFirst()) : argument
        if let port = Int(portText) {
            guard (0...65535).contains(port) else { return nil }
            options = LiveServerOptions(port: port)
        } else if let address = HostPort(argument: argument) {
            options = LiveServerOptions(host: address.host, port: address.port)
        } else {
            return nil
        }
    }
}
