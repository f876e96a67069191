#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ModemProtocol

/// What went wrong talking to a module, in cases a caller can act on.
public enum ModemClientError: Error, Equatable, Sendable {
    /// No final result within the command's time (``CommandTimeouts``); `received` holds the lines
    /// that did arrive. The engine resynchronises with `AT` before the next command.
    case timeout(command: String, received: [String])
    /// After a timeout the module answered none of the `AT` probes: it is off, asleep, on another
    /// baud rate, or not a modem.
    case noAnswer
    /// The module answered with an error (`ERROR`, `+CME ERROR`, `SEND FAIL`, …).
    case commandFailed(command: String, result: FinalResult)
    /// `CONNECT FAIL` (or `<n>, CONNECT FAIL`) after `AT+CIPSTART`; `link` is `nil` in single mode.
    case connectFailed(link: Int?)
    /// The link is not connected (the module refused to send on it or close it).
    case notConnected(link: Int?)
    /// The PDP context is gone (`+PDP: DEACT` / `STATE: PDP DEACT`); only `AT+CIPSHUT` recovers.
    case pdpDeactivated
    /// The serial port or socket closed.
    case transportClosed
    /// A reply the library could not read, with the command and the reply.
    case unexpectedReply(command: String, reply: String)
    /// The peer answers, but not like an AT modem (no `OK` to `AT`); `received` is what it sent.
    case notAModem(received: String)
    /// The serial device does not exist.
    case deviceNotFound(path: String)
    /// Another program has the serial device open (exclusive lock held).
    case deviceBusy(path: String)
    /// No permission to open the serial device (on Linux: join the `dialout` group).
    case permissionDenied(path: String)
    /// The path is not a terminal device.
    case notATerminal(path: String)
    /// The baud rate is not one of the standard rates.
    case unsupportedBaudRate(Int)
    /// The TCP connection could not be made.
    case connectionFailed(host: String, port: Int, reason: String)
    /// The serial device could not be configured.
    case deviceError(path: String, reason: String)
    /// The trace file the client was asked to record its session in could not be opened.
    case traceFile(path: String, reason: String)
    /// The data for `AT+CIPSEND=[<n>,]<length>` is not `expected` bytes long; nothing was sent.
    case sendDataLength(command: String, expected: Int, given: Int)
    /// The data for `AT+CIPSEND` without a length holds Ctrl-Z or ESC, which would end or cancel it
    /// early; nothing was sent.
    case sendDataNotTerminable(command: String)
}

extension ModemClientError: CustomStringConvertible {
    /// A message for people: what was wrong and what to do.
    public var description: String {
        switch self {
        case .timeout(let command, let received):
            let seen = received.isEmpty ? "nothing" : received.joined(separator: " | ")
            return "No reply to \(command) in time (received: \(seen)). Is the module powered and on this baud rate?"
        case .noAnswer:
            return "The module does not answer AT. Check power, wiring, the baud rate and that this is the modem's port."
        case .commandFailed(let command, let result):
            return "\(command) failed: \(result.text)"
        case .connectFailed(let link):
            return "CONNECT FAIL\(link.map { " on link \($0)" } ?? ""): the remote host did not accept the connection."
        case .notConnected(let link):
            return "Link\(link.map { " \($0)" } ?? "") is not connected."
        case .pdpDeactivated:
            return "The network released the PDP context (PDP DEACT); send AT+CIPSHUT and attach again."
        case .transportClosed:
            return "The connection to the modem closed."
        case .unexpectedReply(let command, let reply):
            return "Unexpected reply to \(command): \(reply)"
        case .notAModem(let received):
            return "The peer is not an AT modem: it answered AT with \(received.debugDescription)."
        case .deviceNotFound(let path):
            return "No such device: \(path). Is the module plugged in? (ls /dev/tty*)"
        case .deviceBusy(let path):
            return "\(path) is in use by another program (it holds an exclusive lock). Close it and retry."
        case .permissionDenied(let path):
            return "Permission denied opening \(path). Add yourself to the group that owns it (e.g. dialout)."
        case .notATerminal(let path):
            return "\(path) is not a serial device."
        case .unsupportedBaudRate(let rate):
            return "Unsupported baud rate \(rate); use one of \(SerialPort.standardBaudRates.map(String.init).joined(separator: ", "))."
        case .connectionFailed(let host, let port, let reason):
            return Self.connectionFailure(host: host, port: port, reason: reason)
        case .traceFile(let path, let reason):
            return "Cannot record the session in \(path): \(reason)."
        case .deviceError(let path, let reason):
            return "Cannot configure \(path): \(reason)"
        case .sendDataLength(let command, let expected, let given):
            return "\(command) takes \(expected) byte(s) of data, but \(given) were given; give the data's length."
        case .sendDataNotTerminable(let command):
            return "The data for \(command) holds Ctrl-Z or ESC (0x1A, 0x1B), which would end or cancel it; "
                + "give its length instead (AT+CIPSEND=[<n>,]<length>)."
        }
    }

    /// "Cannot connect to HOST:PORT", why in words, and what to do; `reason` is the system's
    /// text, which ends in `(errno: N)` when the kernel refused.
    private static func connectionFailure(host: String, port: Int, reason: String) -> String {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let prefix = "Cannot connect to \(address)"
        switch errorNumber(in: reason) {
        case ECONNREFUSED:
            return "\(prefix): nothing listens there (connection refused). Is modem emulate --listen \(address) (or ser2net) running?"
        case ETIMEDOUT:
            return "\(prefix): no answer (timed out). Check the address and any firewall between."
        case EHOSTUNREACH, ENETUNREACH:
            return "\(prefix): no route to the host. Check the address and the network."
        case EMFILE, ENFILE:
            return "\(prefix): too many open files. Raise the limit (ulimit -n) or close other connections."
        case let code?:
            return "\(prefix): \(String(cString: strerror(code)))"
        case nil:
            if reason.contains("connectTimeout") { return "\(prefix): no answer within 10 s. Check the address." }
            if reason.contains("dns") || reason.contains("UnknownHost") {
                return "\(prefix): the host name does not resolve (write an IPv6 address in brackets: [::1]:7000)."
            }
            return "\(prefix): \(reason)"
        }
    }

    /// The `errno: N` a system error's text carries, if any.
    private static func errorNumber(in reason: String) -> Int32? {
        guard let range = reason.range(of: "errno: ", options: .backwards) else { return nil }
        return Int32(reason[range.upperBound...].prefix { $0.isNumber })
    }
}
