#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pseudo-terminal for the serial line (`--pty`): the modem reads and writes the master; hosts
/// open the slave device as if it were a UART.
///
/// The slave is put in raw mode before its path is handed out, so the first bytes a host writes are
/// not cooked by the line discipline. The modem keeps a handle of its own on the slave: a host that
/// closes and reopens the port then neither ends the session nor makes the master report `EIO`.
struct PseudoTerminal {
    /// The master side, for the modem's channel (ownership passes to NIO).
    let master: CInt
    /// The modem's own handle on the slave, kept open for the session.
    let slave: CInt
    /// The slave device, e.g. `/dev/pts/3`.
    let path: String

    static func open() throws(EmulatorError) -> PseudoTerminal {
        let posix_openpt = try PTYCalls.posixOpenpt()
        let grantpt = try PTYCalls.grantpt()
        let unlockpt = try PTYCalls.unlockpt()
        let ptsname_r = try PTYCalls.ptsnameR()
        let master = posix_openpt(O_RDWR | O_NOCTTY)
        guard master >= 0 else { throw .pseudoTerminal("posix_openpt", errno: errno) }
        var slave: CInt = -1
        do throws(EmulatorError) {
            _ = fcntl(master, F_SETFD, FD_CLOEXEC)
            guard grantpt(master) == 0 else { throw .pseudoTerminal("grantpt", errno: errno) }
            guard unlockpt(master) == 0 else { throw .pseudoTerminal("unlockpt", errno: errno) }
            var name = [CChar](repeating: 0, count: 256)
            let result = ptsname_r(master, &name, name.count)
            guard result == 0 else { throw .pseudoTerminal("ptsname_r", errno: result) }
            let path = String(decoding: name.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self)
            slave = Glibc.open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
            guard slave >= 0 else { throw .pseudoTerminal("open \(path)", errno: errno) }
            try makeRaw(slave)
            return PseudoTerminal(master: master, slave: slave, path: path)
        } catch {
            if slave >= 0 { close(slave) }
            close(master)
            throw error
        }
    }

    /// `cfmakeraw`: 8 bits, no echo, no line editing, no CR/LF translation, no signals.
    static func makeRaw(_ descriptor: CInt) throws(EmulatorError) {
        var attributes = termios()
        guard tcgetattr(descriptor, &attributes) == 0 else { throw .pseudoTerminal("tcgetattr", errno: errno) }
        cfmakeraw(&attributes)
        guard tcsetattr(descriptor, TCSANOW, &attributes) == 0 else {
            throw .pseudoTerminal("tcsetattr", errno: errno)
        }
    }
}

/// A symlink to the PTY (`--link PATH`) that is removed when the emulator stops.
struct DeviceLink {
    let path: String
    let target: String

    /// Creates the link; a stale symlink at `path` (from a run that crashed) is replaced, anything
    /// else there is an error.
    static func create(at path: String, to target: String) throws(EmulatorError) -> DeviceLink {
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFLNK else { throw .cannotLink(path, errno: EEXIST) }
            unlink(path)
        }
        guard symlink(target, path) == 0 else { throw .cannotLink(path, errno: errno) }
        return DeviceLink(path: path, target: target)
    }

    /// Removes the link if it still points at this run's device.
    func remove() {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return }
        let current = String(decoding: buffer.prefix(count).map(UInt8.init(bitPattern:)), as: UTF8.self)
        if current == target { unlink(path) }
    }
}

/// The Unix 98 PTY calls. Glibc declares them only under `_XOPEN_SOURCE`, which the Swift module
/// map does not set, so they are looked up at run time with their C signatures.
enum PTYCalls {
    private static func lookup<Function>(_ name: String, as type: Function.Type) throws(EmulatorError) -> Function {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
            throw .pseudoTerminal(name, errno: ENOSYS)
        }
        return unsafeBitCast(symbol, to: type)
    }

    static func posixOpenpt() throws(EmulatorError) -> @convention(c) (CInt) -> CInt {
        try lookup("posix_openpt", as: (@convention(c) (CInt) -> CInt).self)
    }

    static func grantpt() throws(EmulatorError) -> @convention(c) (CInt) -> CInt {
        try lookup("grantpt", as: (@convention(c) (CInt) -> CInt).self)
    }

    static func unlockpt() throws(EmulatorError) -> @convention(c) (CInt) -> CInt {
        try lookup("unlockpt", as: (@convention(c) (CInt) -> CInt).self)
    }

    static func ptsnameR() throws(EmulatorError) -> @convention(c) (CInt, UnsafeMutablePointer<CChar>, Int) -> CInt {
        try lookup("ptsname_r", as: (@convention(c) (CInt, UnsafeMutablePointer<CChar>, Int) -> CInt).self)
    }
}

/// A terminal put in raw mode for the run of `--stdio` on a terminal, and put back as it was.
///
/// The module echoes what the host types (`ATE1`), as a real modem under minicom does; the
/// terminal's own echo and line editing are turned off so that each line is echoed once and each
/// key reaches the modem as typed. Signals stay on: Ctrl-C stops the emulator.
struct TerminalMode: Sendable {
    private let descriptor: CInt
    private let saved: termios

    /// Switches `descriptor` to raw mode; `nil` if it is not a terminal.
    static func makeRaw(_ descriptor: CInt) -> TerminalMode? {
        var saved = termios()
        guard tcgetattr(descriptor, &saved) == 0 else { return nil }
        var raw = saved
        cfmakeraw(&raw)
        raw.c_lflag |= tcflag_t(ISIG)
        raw.c_oflag |= tcflag_t(OPOST)
        raw.c_oflag &= ~tcflag_t(ONLCR)
        guard tcsetattr(descriptor, TCSANOW, &raw) == 0 else { return nil }
        return TerminalMode(descriptor: descriptor, saved: saved)
    }

    /// Puts the terminal back as it was found.
    func restore() {
        var saved = saved
        tcsetattr(descriptor, TCSANOW, &saved)
    }
}
