#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NIOCore

/// One side of the `--stdio` serial line: the descriptor the modem's channel uses, and, when the
/// process's stdin or stdout is a regular file or a device such as `/dev/null` (which epoll cannot
/// watch), a thread that copies between it and a pipe with plain blocking calls.
///
/// The pipe's buffer bounds the copy: a file is read no faster than the modem takes its bytes, and
/// the modem's output waits when the file is slow to take it. At the end of an input file the pipe
/// stays open until ``endLine()``, so that the caller can let the modem finish first.
final class StdioSide: @unchecked Sendable {
    // @unchecked: `lineOpen` is only touched under `lock`; the rest is immutable.
    /// The descriptor for the channel (ownership passes to NIO).
    let descriptor: CInt
    /// What the process's descriptor is, for the log: `terminal`, `pipe`, `socket` or `file`.
    let kind: String
    private let pump: (@Sendable () -> Void)?
    private let done: EventLoopPromise<Void>
    /// Descriptors only this side holds, closed by ``abandon()``.
    private let own: [CInt]
    /// For an input file: the pipe's write end, closed by ``endLine()``.
    private let lineEnd: CInt?
    private let lock = NSLock()
    private var lineOpen = true

    private init(
        descriptor: CInt, kind: String, pump: (@Sendable () -> Void)?, done: EventLoopPromise<Void>, own: [CInt],
        lineEnd: CInt? = nil
    ) {
        self.descriptor = descriptor
        self.kind = kind
        self.pump = pump
        self.done = done
        self.own = own
        self.lineEnd = lineEnd
    }

    /// Whether a thread copies a file (or device) for this side.
    var copiesAFile: Bool { pump != nil }

    /// The side the host writes to: the process's stdin, `fd`. A file is copied into the pipe;
    /// `done` completes at its end, and the line ends at ``endLine()``.
    static func input(_ fd: CInt, done: EventLoopPromise<Void>) throws(EmulatorError) -> StdioSide {
        try make(fd, name: "stdin", done: done, keepSinkOpen: true) { own, pipe in
            (channel: pipe.read, source: own, sink: pipe.write)
        }
    }

    /// The side the modem writes to: the process's stdout, `fd`. The pipe is copied into the file
    /// until the channel closes its end.
    static func output(_ fd: CInt, done: EventLoopPromise<Void>) throws(EmulatorError) -> StdioSide {
        try make(fd, name: "stdout", done: done, keepSinkOpen: false) { own, pipe in
            (channel: pipe.write, source: pipe.read, sink: own)
        }
    }

    private static func make(
        _ fd: CInt, name: String, done: EventLoopPromise<Void>, keepSinkOpen: Bool,
        wiring: (CInt, (read: CInt, write: CInt)) -> (channel: CInt, source: CInt, sink: CInt)
    ) throws(EmulatorError) -> StdioSide {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .stdio(name, errno: errno) }
        let kind: String? =
            switch info.st_mode & S_IFMT {
            case S_IFIFO: "pipe"
            case S_IFSOCK: "socket"
            case S_IFCHR where isatty(fd) == 1: "terminal"
            default: nil
            }
        let own = dup(fd)
        guard own >= 0 else { throw .stdio(name, errno: errno) }
        _ = fcntl(own, F_SETFD, FD_CLOEXEC)
        if let kind {
            done.succeed()
            return StdioSide(descriptor: own, kind: kind, pump: nil, done: done, own: [own])
        }
        var ends: [CInt] = [-1, -1]
        guard pipe(&ends) == 0 else {
            let code = errno
            close(own)
            throw .stdio(name, errno: code)
        }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let (channel, source, sink) = wiring(own, (ends[0], ends[1]))
        return StdioSide(
            descriptor: channel, kind: info.st_mode & S_IFMT == S_IFREG ? "file" : "device",
            pump: {
                copy(from: source, to: sink)
                close(source)
                if !keepSinkOpen { close(sink) }
                done.succeed()
            }, done: done, own: [channel, source, sink], lineEnd: keepSinkOpen ? sink : nil)
    }

    /// Starts the copying thread, if this side has one (after the channel owns ``descriptor``).
    func start() {
        guard let pump else { return }
        let thread = Thread(block: pump)
        thread.name = "modem stdio \(kind)"
        thread.start()
    }

    /// Closes everything when the channel was never made.
    func abandon() {
        lock.withLock { lineOpen = false }
        for descriptor in own { close(descriptor) }
        done.succeed()
    }

    /// Ends an input file's line (closes the pipe the modem reads); later calls do nothing.
    func endLine() {
        guard let lineEnd else { return }
        let open = lock.withLock {
            defer { lineOpen = false }
            return lineOpen
        }
        if open { close(lineEnd) }
    }

    /// Returns when the copying thread has finished (at once when there is none).
    func finished() async {
        try? await done.futureResult.get()
    }

    /// Copies until the source ends or either side fails.
    private static func copy(from source: CInt, to sink: CInt) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBytes { write(sink, $0.baseAddress! + offset, count - offset) }
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}
