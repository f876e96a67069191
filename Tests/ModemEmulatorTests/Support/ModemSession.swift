import Foundation
import Logging
import ModemEmulator
import ModemProtocol
import NIOCore
import TestSupport
import Testing

/// What the modem sent, framed the way a host driver frames it.
enum Frame: Equatable, Sendable {
    /// A line without its CRLF (blank lines are skipped).
    case line(String)
    /// The `> ` prompt of `AT+CIPSEND`.
    case prompt
    /// Received data: `+IPD,<len>:` (single mode, `AT+CIPHEAD=1`) or `+RECEIVE,<n>,<len>:` (multi).
    case data(link: Int?, [UInt8])
}

/// A host talking AT over a ``ByteStream`` (the PTY slave or a TCP serial connection).
struct ModemSession: Sendable {
    let stream: ByteStream
    /// How command lines end: `\r\n` as TinyGSM writes them, or `\r` alone as many hosts do.
    var lineEnd = "\r\n"

    /// Writes a command line ended by ``lineEnd``.
    func send(_ command: String) async throws {
        try await stream.write(command + lineEnd)
    }

    /// Writes a command and returns everything up to and including `terminator`.
    @discardableResult
    func command(_ command: String, until terminator: String = "\r\nOK\r\n", within timeout: Duration = .seconds(10))
        async throws -> String
    {
        try await send(command)
        return try await stream.read(until: terminator, within: timeout)
    }

    /// Reads until `text` has arrived.
    @discardableResult
    func expect(_ text: String, within timeout: Duration = .seconds(10)) async throws -> String {
        try await stream.read(until: text, within: timeout)
    }

    /// `AT+CSTT`, `AT+CIICR`, `AT+CIFSR`: IP STATUS with the local address returned.
    @discardableResult
    func bringUp() async throws -> String {
        try await command("AT+CSTT=\"internet\"")
        try await command("AT+CIICR")
        let reply = try await command("AT+CIFSR", until: "\r\n", within: .seconds(10))
        let address = try await expect("\r\n")
        return (reply + address).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `AT+CIPSTATUS` in single mode: the state word.
    /// `AT+CIPSTART` to a server on 127.0.0.1 and its `CONNECT OK` (`<n>, CONNECT OK` on link `n`).
    func open(link: Int? = nil, _ transport: TransportProtocol = .tcp, port: Int) async throws {
        let prefix = link.map { "\($0)," } ?? ""
        try await command("AT+CIPSTART=\(prefix)\"\(transport.rawValue)\",\"127.0.0.1\",\(port)")
        try await expect("\r\n" + (link.map { "\($0), " } ?? "") + "CONNECT OK\r\n")
    }

    func singleState() async throws -> String {
        try await send("AT+CIPSTATUS")
        try await expect("OK\r\n\r\nSTATE: ")
        return String(try await expect("\r\n").dropLast())  // "\r\n" is one Character
    }

    /// `AT+CIPSTATUS` in multi mode: the state word and the `S:`/`C:` lines.
    func multiStatus() async throws -> (state: String, lines: [String]) {
        try await send("AT+CIPSTATUS")
        try await expect("OK\r\n\r\nSTATE: ")
        let state = String(try await expect("\r\n").dropLast())  // "\r\n" is one Character
        let rest = try await expect("C: 5,")
        let last = try await expect("\r\n")
        let lines = (rest + last).split(separator: "\r\n").map(String.init).filter { !$0.isEmpty }
        return (state, lines)
    }

    /// The client state of link `n` (`AT+CIPSTATUS=<n>`, multi mode).
    func linkState(_ n: Int) async throws -> String {
        let reply = try await command("AT+CIPSTATUS=\(n)")
        guard let line = reply.split(separator: "\r\n").first(where: { $0.hasPrefix("+CIPSTATUS: \(n),") }),
            let state = line.split(separator: ",").last
        else { throw StreamTimeout(waitingFor: "+CIPSTATUS line", buffered: Array(reply.utf8)) }
        return state.replacingOccurrences(of: "\"", with: "")
    }

    /// Polls `read` until it returns `expected` (each poll waits on real bytes; no sleeping).
    func waitFor(_ expected: String, within timeout: Duration = .seconds(10), _ read: () async throws -> String)
        async throws
    {
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            last = try await read()
            if last == expected { return }
        }
        Issue.record("state stayed \(last), expected \(expected)")
    }

    /// The next frame.
    func nextFrame(within timeout: Duration = .seconds(20)) async throws -> Frame {
        try await stream.read("a frame", within: timeout, Self.parseFrame)
    }

    /// Reads frames until a line satisfying `isEnd`; data frames on the way go to `received`.
    func readLines(until isEnd: (String) -> Bool, collecting received: inout [UInt8]) async throws -> String {
        while true {
            switch try await nextFrame() {
            case .line(let line):
                if isEnd(line) { return line }
                if line == "ERROR" || line.hasSuffix("CLOSED") || line.hasSuffix("SEND FAIL") {
                    throw StreamTimeout(waitingFor: "end line, got '\(line)'", buffered: [])
                }
            case .prompt:
                throw StreamTimeout(waitingFor: "a line, got a prompt", buffered: [])
            case .data(_, let bytes):
                received.append(contentsOf: bytes)
            }
        }
    }

    /// Sends `payload` over `link` (nil: single mode) with `AT+CIPSEND=<len>` in chunks and returns what
    /// came back. `stopAndWait` waits for each chunk's echo before the next (UDP, where a datagram
    /// that no socket buffer takes is lost).
    func transfer(_ payload: [UInt8], link: Int?, chunk: Int = 1460, stopAndWait: Bool) async throws -> [UInt8] {
        var received: [UInt8] = []
        received.reserveCapacity(payload.count)
        var offset = 0
        let sendOK = link.map { "\($0), SEND OK" } ?? "SEND OK"
        while offset < payload.count {
            let end = min(offset + chunk, payload.count)
            try await send(link.map { "AT+CIPSEND=\($0),\(end - offset)" } ?? "AT+CIPSEND=\(end - offset)")
            prompt: while true {
                switch try await nextFrame() {
                case .prompt: break prompt
                case .data(_, let bytes): received.append(contentsOf: bytes)
                case .line(let line): throw StreamTimeout(waitingFor: "prompt, got '\(line)'", buffered: [])
                }
            }
            try await stream.write(Array(payload[offset..<end]))
            _ = try await readLines(until: { $0 == sendOK }, collecting: &received)
            offset = end
            while stopAndWait, received.count < offset {
                try await collect(into: &received)
            }
        }
        while received.count < payload.count {
            try await collect(into: &received)
        }
        return received
    }

    private func collect(into received: inout [UInt8]) async throws {
        switch try await nextFrame() {
        case .data(_, let bytes): received.append(contentsOf: bytes)
        case .line(let line): throw StreamTimeout(waitingFor: "data, got '\(line)'", buffered: [])
        case .prompt: throw StreamTimeout(waitingFor: "data, got a prompt", buffered: [])
        }
    }

    static let parseFrame: ByteStream.Parser<Frame> = { slice in
        var index = slice.startIndex
        while index < slice.endIndex, slice[index] == 0x0D || slice[index] == 0x0A { index += 1 }
        let rest = slice[index...]
        let consumedBefore = index - slice.startIndex
        if rest.isEmpty { return nil }
        if rest.first == UInt8(ascii: ">") {
            guard rest.count >= 2 else { return nil }
            return (consumedBefore + 2, .prompt)
        }
        for prefix in ["+IPD,", "+RECEIVE,"] {
            let prefixBytes = Array(prefix.utf8)
            if rest.count < prefixBytes.count, prefixBytes.starts(with: rest) { return nil }
            guard rest.starts(with: prefixBytes) else { continue }
            guard let colon = rest.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            let fields = String(decoding: rest[(rest.startIndex + prefixBytes.count)..<colon], as: UTF8.self)
                .split(separator: ",").compactMap { Int($0) }
            guard let length = fields.last else { return nil }
            var dataStart = colon + 1
            if prefix == "+RECEIVE," { dataStart += 2 }
            guard slice.endIndex - dataStart >= length else { return nil }
            let data = Array(slice[dataStart..<(dataStart + length)])
            return (dataStart + length - slice.startIndex, .data(link: fields.count > 1 ? fields[0] : nil, data))
        }
        guard let end = rest.firstRange(of: [0x0D, 0x0A]) else { return nil }
        let line = String(decoding: rest[..<end.lowerBound], as: UTF8.self)
        return (end.upperBound - slice.startIndex, .line(line))
    }
}

/// A started emulator with a host attached to its PTY.
struct Harness: Sendable {
    let emulator: Emulator
    let modem: VirtualModem
    let host: ModemSession
    let address: SerialEndpointAddress

    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// Emulator options for tests: a PTY, echo off, near-instant activation.
    static func options(_ configure: (inout EmulatorOptions) -> Void = { _ in }) -> EmulatorOptions {
        var options = EmulatorOptions()
        options.serial = .pty(link: nil)
        options.modem.modem.echo = false
        options.modem.activationDelay = .milliseconds(1)
        if let directory = ProcessInfo.processInfo.environment["MODEM_TEST_TRACE_DIR"] {
            options.modem.tracePath = "\(directory)/trace-\(UInt32.random(in: 0...UInt32.max)).txt"
        }
        configure(&options)
        return options
    }

    /// Runs `body` with a fresh emulator; always shuts it down.
    static func run(
        _ configure: (inout EmulatorOptions) -> Void = { _ in }, _ body: (Harness) async throws -> Void
    ) async throws {
        let emulator = try Emulator(options: options(configure), logger: logger)
        let addresses = try await emulator.start()
        try await withCleanup {
            let stream: ByteStream
            switch addresses[0] {
            case .pty(let path): stream = try await ByteStream.openTerminal(path)
            case .tcp(let host, let port): stream = try await ByteStream.connect(host: host, port: port)
            default: fatalError("tests use a PTY or TCP serial line")
            }
            let harness = Harness(
                emulator: emulator, modem: emulator.modems[0], host: ModemSession(stream: stream), address: addresses[0])
            try await body(harness)
            await stream.close()
        } cleanup: {
            await emulator.shutdown()
        }
    }
}

/// `count` random bytes.
func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + 8)
    while bytes.count < count {
        withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
    }
    return Array(bytes.prefix(count))
}
