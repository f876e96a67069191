#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ownership of a path the emulator publishes (`--link`, `--control`): a lock file `PATH.lock`,
/// held with `flock` for the whole run and holding the owner's pid.
///
/// The kernel drops the lock when its process ends however it ends, so a path whose lock can be
/// taken is stale (a symlink or socket left by an emulator that crashed) and may be replaced; a
/// path whose lock is held belongs to a live emulator and is refused, naming its pid.
final class PathLock: Sendable {
    /// The path this lock guards (not the lock file).
    let path: String
    private let descriptor: CInt

    private init(path: String, descriptor: CInt) {
        self.path = path
        self.descriptor = descriptor
    }

    /// The lock file for `path`.
    static func lockPath(for path: String) -> String { path + ".lock" }

    /// Takes `path` for this process, or throws ``EmulatorError/pathInUse(path:pid:)`` when a live
    /// emulator holds it.
    static func acquire(_ path: String) throws(EmulatorError) -> PathLock {
        let lockPath = lockPath(for: path)
        // A lock file unlinked by its owner between our open and our flock is retried.
        for _ in 0..<8 {
            let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw .cannotOpen(lockPath, errno: errno) }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                let code = errno
                let pid = readPID(descriptor)
                close(descriptor)
                if code == EWOULDBLOCK { throw .pathInUse(path: path, pid: pid) }
                throw .cannotOpen(lockPath, errno: code)
            }
            var opened = stat()
            var named = stat()
            guard fstat(descriptor, &opened) == 0, stat(lockPath, &named) == 0, opened.st_ino == named.st_ino,
                opened.st_dev == named.st_dev
            else {
                close(descriptor)
                continue
            }
            let text = Array("\(getpid())\n".utf8)
            _ = ftruncate(descriptor, 0)
            _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
            return PathLock(path: path, descriptor: descriptor)
        }
        throw .pathInUse(path: path, pid: nil)
    }

    /// Gives the path up: removes the lock file, then drops the lock.
    func release() {
        unlink(Self.lockPath(for: path))
        close(descriptor)
    }

    /// The pid written in a lock file, if it holds one.
    private static func readPID(_ descriptor: CInt) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer.prefix(count).filter { (0x30...0x39).contains($0) }, as: UTF8.self))
    }
}
