import ArgumentParser
import ModemClient

/// `--baud N`: a UART rate in bits per second.
struct BaudRate: ExpressibleByArgument, ExpressibleByIntegerLiteral, CustomStringConvertible {
    let bitsPerSecond: Int

    init?(argument: String) {
        guard let value = Int(argument) else { return nil }
        bitsPerSecond = value
    }

    init(integerLiteral value: Int) {
        bitsPerSecond = value
    }

    /// Whether a serial device can be set to it (``SerialPort/standardBaudRates``).
    var isStandard: Bool { SerialPort.standardBaudRates.contains(bitsPerSecond) }

    var description: String { String(bitsPerSecond) }
}
