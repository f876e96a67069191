#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Failures of the emulator's own setup, each with a message that says what to do.
public enum EmulatorError: Error, CustomStringConvertible {
    /// A file could not be opened.
    case cannotOpen(String, errno: Int32)
    /// A pseudo-terminal call failed.
    case pseudoTerminal(String, errno: Int32)
    /// A symlink could not be made.
    case cannotLink(String, errno: Int32)
    /// A command line option combination that cannot work.
    case invalidOption(String)
    /// A control request named no existing modem or link.
    case noSuchLink(Int)
    case noSuchModem(Int)
    /// A `--link` or `--control` path belongs to another emulator that is still running (`pid`,
    /// when it recorded one).
    case pathInUse(path: String, pid: Int32?)
    /// A process (`pid`, when the system says) already listens on the `--control` socket.
    case socketInUse(path: String, pid: Int32?)
    /// The control socket could not be created.
    case cannotBind(path: String, reason: String)
    /// Modem `modem`'s serial port (`--listen`) could not be opened on `address`.
    case cannotListen(address: String, modem: Int, errno: Int32)
    /// The `--listen` host is neither an address nor a name that resolves.
    case unknownHost(String)
    /// The stdio serial line could not be set up.
    case stdio(String, errno: Int32)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let code): "cannot open \(path): \(Self.text(code))"
        case .pseudoTerminal(let call, let code):
            "cannot create a pseudo-terminal (\(call)): \(Self.text(code))\(Self.advice(code))"
        case .cannotLink(let path, let code): "cannot create the symlink \(path): \(Self.text(code))"
        case .invalidOption(let text): text
        case .noSuchLink(let number): "link \(number) has no open socket"
        case .noSuchModem(let index): "there is no modem \(index)"
        case .pathInUse(let path, let pid):
            if let pid {
                "\(path) belongs to a running emulator (pid \(pid)); stop it (kill \(pid)) or choose another path"
            } else {
                "\(path) belongs to a running emulator; stop it or choose another path"
            }
        case .socketInUse(let path, let pid):
            if let pid {
                "a running process (pid \(pid)) listens on \(path); stop it (kill \(pid)) or choose another path"
            } else {
                "a running process listens on \(path); stop it or choose another path"
            }
        case .cannotBind(let path, let reason): "cannot create the control socket \(path): \(reason)"
        case .cannotListen(let address, let modem, let code):
            "modem \(modem): cannot listen on \(address): \(Self.text(code))\(Self.advice(code))"
        case .unknownHost(let host):
            "cannot listen on \(host): not an address of this machine or a host name that resolves (write an IPv6 address in brackets: [::1]:7000)"
        case .stdio(let what, let code): "cannot use \(what) as the serial line: \(Self.text(code))"
        }
    }

    private static func text(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// What to do about a system error, as a sentence starting with "; " (or nothing).
    private static func advice(_ code: Int32) -> String {
        switch code {
        case EADDRINUSE:
            let range = ephemeralPorts.map { " (here \($0.lowerBound)-\($0.upperBound))" } ?? ""
            return "; another program has the port. Stop it, or choose a base port below the ephemeral range\(range), which outgoing connections take ports from"
        case EMFILE:
            var limit = rlimit()
            #if canImport(Glibc)
            getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            #else
            getrlimit(RLIMIT_NOFILE, &limit)
            #endif
            let raise =
                limit.rlim_max > limit.rlim_cur
                ? "Raise it with `ulimit -n \(limit.rlim_max)`"
                : "Raise the hard limit (ulimit -Hn as root, or limits.conf)"
            return "; the limit is \(limit.rlim_cur) open files per process, and each modem needs 1, plus 1 per attached host and per open link. \(raise), or run fewer modems"
        case ENFILE:
            return "; the whole system is out of file descriptors (fs.file-max)"
        case EACCES:
            return "; ports below 1024 need privileges: choose a port of 1024 or above"
        case EADDRNOTAVAIL:
            return "; the host is not an address of this machine"
        default:
            return ""
        }
    }

    /// The kernel's range of ports for outgoing connections (Linux), if known.
    private static var ephemeralPorts: ClosedRange<Int>? {
        guard let file = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, CInt(line.count), file) != nil else { return nil }
        let fields = String(decoding: line.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self)
            .split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        guard fields.count == 2, fields[0] <= fields[1] else { return nil }
        return fields[0]...fields[1]
    }
}
