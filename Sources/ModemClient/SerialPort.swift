#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How to open a serial device: path, speed, framing (always 8N1) and flow control.
public struct SerialPortConfiguration: Equatable, Sendable {
    /// The device, e.g. `/dev/ttyUSB0` or `/dev/serial0`.
    public var path: String
    /// The baud rate; one of ``SerialPort/standardBaudRates``. SIM800 modules autobaud; 115200 is common.
    public var baudRate: Int
    /// RTS/CTS hardware flow control (`AT+IFC=2,2` on the module).
    public var hardwareFlowControl: Bool

    /// Creates a configuration.
    public init(path: String, baudRate: Int = 115_200, hardwareFlowControl: Bool = false) {
        self.path = path
        self.baudRate = baudRate
        self.hardwareFlowControl = hardwareFlowControl
    }
}

/// Opens and configures a terminal device for a modem: non-blocking, no controlling terminal, raw
/// mode, the requested speed, 8N1, optional RTS/CTS, and an exclusive lock so that a second program
/// sees the port as busy.
public enum SerialPort {
    /// The baud rates the termios interface names.
    public static let standardBaudRates = [
        1200, 2400, 4800, 9600, 19200, 38400, 57600, 115_200, 230_400, 460_800, 921_600,
    ]

    static func speed(for baudRate: Int) -> speed_t? {
        switch baudRate {
        case 1200: speed_t(B1200)
        case 2400: speed_t(B2400)
        case 4800: speed_t(B4800)
        case 9600: speed_t(B9600)
        case 19200: speed_t(B19200)
        case 38400: speed_t(B38400)
        case 57600: speed_t(B57600)
        case 115_200: speed_t(B115200)
        case 230_400: speed_t(B230400)
        #if os(Linux)
        case 460_800: speed_t(B460800)
        case 921_600: speed_t(B921600)
        #endif
        default: nil
        }
    }

    /// Opens the device and returns its descriptor, which the caller owns.
    public static func open(_ configuration: SerialPortConfiguration) throws(ModemClientError) -> CInt {
        let path = configuration.path
        guard let speed = speed(for: configuration.baudRate) else {
            throw .unsupportedBaudRate(configuration.baudRate)
        }
        let descriptor = systemOpen(path, O_RDWR | O_NOCTTY | O_NONBLOCK)
        guard descriptor >= 0 else { throw openError(errno, path: path) }
        do throws(ModemClientError) {
            try configure(descriptor, path: path, speed: speed, rtscts: configuration.hardwareFlowControl)
        } catch {
            _ = close(descriptor)
            throw error
        }
        return descriptor
    }

    static func closeDescriptor(_ descriptor: CInt) -> CInt {
        close(descriptor)
    }

    private static func systemOpen(_ path: String, _ flags: CInt) -> CInt {
        #if canImport(Glibc)
        Glibc.open(path, flags)
        #elseif canImport(Musl)
        Musl.open(path, flags)
        #else
        Darwin.open(path, flags)
        #endif
    }

    private static func configure(_ fd: CInt, path: String, speed: speed_t, rtscts: Bool) throws(ModemClientError) {
        guard isatty(fd) == 1 else { throw .notATerminal(path: path) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EWOULDBLOCK { throw .deviceBusy(path: path) }
            throw .deviceError(path: path, reason: errnoText("flock"))
        }
        // TIOCEXCL: further open(2)s of the device fail with EBUSY until we close it.
        _ = ioctl(fd, UInt(TIOCEXCL))
        var options = termios()
        guard tcgetattr(fd, &options) == 0 else { throw .deviceError(path: path, reason: errnoText("tcgetattr")) }
        cfmakeraw(&options)
        guard cfsetispeed(&options, speed) == 0, cfsetospeed(&options, speed) == 0 else {
            throw .deviceError(path: path, reason: errnoText("cfsetspeed"))
        }
        options.c_cflag &= ~tcflag_t(PARENB | CSTOPB | CSIZE)
        options.c_cflag |= tcflag_t(CS8 | CLOCAL | CREAD)
        if rtscts {
            options.c_cflag |= hardwareFlowControlFlag
        } else {
            options.c_cflag &= ~hardwareFlowControlFlag
        }
        options.c_iflag &= ~tcflag_t(IXON | IXOFF | IXANY)
        guard tcsetattr(fd, TCSANOW, &options) == 0 else {
            throw .deviceError(path: path, reason: errnoText("tcsetattr"))
        }
        _ = tcflush(fd, TCIOFLUSH)
    }

    private static var hardwareFlowControlFlag: tcflag_t {
        #if os(Linux)
        tcflag_t(0o20000000000)  // CRTSCTS, which Swift does not import from <termios.h>
        #else
        tcflag_t(CRTSCTS)
        #endif
    }

    static func openError(_ code: CInt, path: String) -> ModemClientError {
        switch code {
        case ENOENT, ENODEV, ENXIO: .deviceNotFound(path: path)
        case EBUSY: .deviceBusy(path: path)
        case EACCES, EPERM: .permissionDenied(path: path)
        default: .deviceError(path: path, reason: String(cString: strerror(code)))
        }
    }

    private static func errnoText(_ call: String) -> String {
        "\(call): \(String(cString: strerror(errno)))"
    }
}
