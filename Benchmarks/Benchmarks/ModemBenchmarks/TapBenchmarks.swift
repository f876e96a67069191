import Benchmark
import Logging
import ModemClient
import ModemEmulator

#if canImport(Glibc)
import Glibc
#endif

/// Two emulators on PTYs (echo off), the second behind a ``Tap``; a host's raw descriptor on each.
final class TapFixture: Sendable {
    let direct: Emulator
    let behindTap: Emulator
    let tap: Tap
    let directHost: CInt
    let tapHost: CInt

    private init(direct: Emulator, behindTap: Emulator, tap: Tap, directHost: CInt, tapHost: CInt) {
        self.direct = direct
        self.behindTap = behindTap
        self.tap = tap
        self.directHost = directHost
        self.tapHost = tapHost
    }

    /// `baudRate`: both emulators pace their output as a module's UART at that rate would.
    static func start(baudRate: Int? = nil) async throws -> TapFixture {
        let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        var options = EmulatorOptions()
        options.serial = .pty(link: nil)
        options.modem.modem.echo = false
        options.modem.baudRate = baudRate
        let direct = try Emulator(options: options, logger: logger)
        let behindTap = try Emulator(options: options, logger: logger)
        guard case .pty(let directPath) = try await direct.start()[0],
            case .pty(let modulePath) = try await behindTap.start()[0]
        else { fatalError("PTY emulators") }
        let device = try SerialPort.open(SerialPortConfiguration(path: modulePath))
        let tap = try await Tap.start(module: device, options: TapOptions(), logger: logger)
        guard case .pty(let tapPath) = tap.address else { fatalError("a PTY tap") }
        return TapFixture(
            direct: direct, behindTap: behindTap, tap: tap, directHost: try host(directPath),
            tapHost: try host(tapPath))
    }

    /// A blocking raw descriptor on a PTY, as a host program opens its serial port.
    private static func host(_ path: String) throws -> CInt {
        let descriptor = open(path, O_RDWR | O_NOCTTY)
        var attributes = termios()
        tcgetattr(descriptor, &attributes)
        cfmakeraw(&attributes)
        tcsetattr(descriptor, TCSANOW, &attributes)
        return descriptor
    }

    func stop() async {
        close(directHost)
        close(tapHost)
        await tap.shutdown()
        await direct.shutdown()
        await behindTap.shutdown()
    }

    /// Writes `AT\r` and reads until the reply `\r\nOK\r\n` is in: one round trip.
    static func roundTrip(_ descriptor: CInt) {
        let command: [UInt8] = Array("AT\r".utf8)
        _ = command.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        var buffer = [UInt8](repeating: 0, count: 64)
        var count = 0
        while count < 6 {
            let n = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + count, 64 - count) }
            guard n > 0 else { return }
            count += n
        }
    }

    /// Collects the whole reply to `command` (until the line is quiet for 50 ms): for warm-up only.
    static func reply(to command: String, on descriptor: CInt) -> [UInt8] {
        let bytes = Array(command.utf8)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while poll(&waiting, 1, 50) > 0 {
            let n = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, 4096) }
            guard n > 0 else { break }
            reply += buffer[0..<n]
        }
        return reply
    }

    /// Sends each command and reads its reply of known length: a driver's sequence, in ns.
    static func timedSequence(_ commands: [(command: [UInt8], replyLength: Int)], on descriptor: CInt) -> Int {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let start = ContinuousClock.now
        for (command, replyLength) in commands {
            _ = command.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            var count = 0
            while count < replyLength {
                let n = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, 4096) }
                guard n > 0 else { fatalError("the line closed") }
                count += n
            }
        }
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    /// Time of one round trip on `descriptor`, in ns.
    static func timed(_ descriptor: CInt) -> Int {
        let start = ContinuousClock.now
        roundTrip(descriptor)
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}

nonisolated(unsafe) var tapFixture: TapFixture?

/// `AT` round trips directly on an emulator's PTY and through `modem tap` in front of another, and
/// their ratio measured in the same run (issue 15: the tap adds at most 1.2×): once against the
/// unpaced emulator (the tap's own cost against a module that answers in microseconds), once with
/// the emulators paced at 115200 baud, as a real module's UART delivers its reply.
func tapBenchmarks() {
    tapBenchmark(baudRate: nil, name: "Serial: AT round trip, direct and through the tap, alternately (100 pairs)")
    tapBenchmark(
        baudRate: 115_200, name: "Serial: AT round trip at 115200 baud, direct and through the tap (100 pairs)")
    driverSequenceBenchmark()
}

/// The commands TinyGSM's `init()` and its status polls send (`isNetworkConnected`,
/// `getSignalQuality`, `isGprsConnected`, the multi-link `AT+CIPSTATUS`), in a state where each can
/// be repeated: the round trips a driver makes, with the replies the module gives.
let driverSequence = [
    "AT\r", "ATE0\r", "AT+CMEE=2\r", "AT+CGMR\r", "AT+CBATCHK=1\r", "AT+CPIN?\r", "ATI\r", "AT+GSN\r",
    "AT+CIMI\r", "AT+CSQ\r", "AT+CREG?\r", "AT+CGREG?\r", "AT+COPS?\r", "AT+CGATT?\r", "AT+CIPMUX=1\r",
    "AT+CIPSTATUS\r", "AT+CIPSTATUS=0\r",
]

/// The driver's sequence at 115200 baud, direct and through the tap: the ratio the issue asks
/// for ("the TinyGSM sequence … the tap adds ≤ 1.2× the round-trip time of a direct connection").
private func driverSequenceBenchmark() {
    let configuration = Benchmark.Configuration(
        metrics: [
            .wallClock, .custom("tap / direct p50 ×100", useScalingFactor: false),
            .custom("direct p50 (µs)", useScalingFactor: false), .custom("tap p50 (µs)", useScalingFactor: false),
        ],
        scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 100)
    nonisolated(unsafe) var sequence: [(command: [UInt8], replyLength: Int)] = []
    Benchmark(
        "Serial: TinyGSM's init and status sequence at 115200 baud, direct and through the tap (10 pairs)",
        configuration: configuration
    ) { benchmark in
        guard let fixture = tapFixture else { return }
        benchmark.startMeasurement()
        var direct: [Int] = []
        var tapped: [Int] = []
        for _ in 0..<10 {
            direct.append(TapFixture.timedSequence(sequence, on: fixture.directHost))
            tapped.append(TapFixture.timedSequence(sequence, on: fixture.tapHost))
        }
        benchmark.stopMeasurement()
        let (directMedian, tappedMedian) = (direct.sorted()[5], tapped.sorted()[5])
        let ratio = Double(tappedMedian) / Double(directMedian)
        benchmark.measurement(.custom("tap / direct p50 ×100", useScalingFactor: false), Int((ratio * 100).rounded()))
        benchmark.measurement(.custom("direct p50 (µs)", useScalingFactor: false), directMedian / 1000)
        benchmark.measurement(.custom("tap p50 (µs)", useScalingFactor: false), tappedMedian / 1000)
    } setup: {
        if tapFixture == nil { tapFixture = try await TapFixture.start(baudRate: 115_200) }
        guard let fixture = tapFixture else { return }
        // Each reply collected once on each line: the lengths the timed runs read, and the same bytes
        // through the tap as directly (the tap changes nothing).
        sequence = []
        for command in driverSequence {
            let direct = TapFixture.reply(to: command, on: fixture.directHost)
            let tapped = TapFixture.reply(to: command, on: fixture.tapHost)
            guard direct == tapped, !direct.isEmpty else {
                fatalError("\(command): \(String(decoding: direct, as: UTF8.self)) / \(String(decoding: tapped, as: UTF8.self))")
            }
            sequence.append((Array(command.utf8), direct.count))
        }
    } teardown: {
        await tapFixture?.stop()
        tapFixture = nil
    }
}

private func tapBenchmark(baudRate: Int?, name: String) {
    let configuration = Benchmark.Configuration(
        metrics: [
            .wallClock, .custom("tap / direct p50 ×100", useScalingFactor: false),
            .custom("direct p50 (µs)", useScalingFactor: false), .custom("tap p50 (µs)", useScalingFactor: false),
        ],
        scalingFactor: .one, maxDuration: .seconds(5), maxIterations: 200)
    let setup: Benchmark.BenchmarkSetupHook = {
        if tapFixture == nil { tapFixture = try await TapFixture.start(baudRate: baudRate) }
    }
    let teardown: Benchmark.BenchmarkTeardownHook = {
        await tapFixture?.stop()
        tapFixture = nil
    }
    Benchmark(name, configuration: configuration) { benchmark in
        guard let fixture = tapFixture else { return }
        for _ in 0..<20 {
            TapFixture.roundTrip(fixture.directHost)
            TapFixture.roundTrip(fixture.tapHost)
        }
        benchmark.startMeasurement()
        var direct: [Int] = []
        var tapped: [Int] = []
        for _ in 0..<100 {
            direct.append(TapFixture.timed(fixture.directHost))
            tapped.append(TapFixture.timed(fixture.tapHost))
        }
        benchmark.stopMeasurement()
        let (directMedian, tappedMedian) = (direct.sorted()[50], tapped.sorted()[50])
        let ratio = Double(tappedMedian) / Double(directMedian)
        benchmark.measurement(.custom("tap / direct p50 ×100", useScalingFactor: false), Int((ratio * 100).rounded()))
        benchmark.measurement(.custom("direct p50 (µs)", useScalingFactor: false), directMedian / 1000)
        benchmark.measurement(.custom("tap p50 (µs)", useScalingFactor: false), tappedMedian / 1000)
    } setup: {
        try await setup()
    } teardown: {
        try await teardown()
    }
}
