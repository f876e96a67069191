#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Records every byte on the serial line, for replay and bug reports (`--trace FILE`).
///
/// One line per chunk as it crossed the line: `<seconds>.<microseconds> <rx|tx> <hex>`, where the
/// time is wall-clock seconds since the Unix epoch, `rx` is host → modem and `tx` modem → host, and
/// `<hex>` is the bytes in lower-case hex without separators, e.g. `1718000000.123456 rx 41540d`.
/// Used only on the modem's event loop.
final class ByteTrace {
    enum Direction: String {
        case rx, tx
    }

    private let file: UnsafeMutablePointer<FILE>

    /// Opens (truncates) `path`.
    init(path: String) throws(EmulatorError) {
        guard let file = fopen(path, "w") else { throw .cannotOpen(path, errno: errno) }
        self.file = file
    }

    deinit {
        fclose(file)
    }

    func record(_ direction: Direction, _ bytes: some Collection<UInt8>) {
        guard !bytes.isEmpty else { return }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let micros = String(now.tv_nsec / 1000)
        var line = "\(now.tv_sec).\(String(repeating: "0", count: 6 - micros.count))\(micros) \(direction.rawValue) "
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(bytes.count * 2 + 1)
        for byte in bytes {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        hex.append(0x0A)
        line += String(decoding: hex, as: UTF8.self)
        fputs(line, file)
        fflush(file)
    }
}
