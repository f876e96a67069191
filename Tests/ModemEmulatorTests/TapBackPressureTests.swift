import Foundation
import TestSupport
import Testing

/// A host that writes through `modem tap` and never reads (STYLE.md §2b): the tap stops reading the
/// module when the host's line is full, the emulator then stops reading its own line, and the tap
/// stops reading the host. The tap's memory stays bounded and everything is answered once the host reads.
@Suite(.enabled(if: modemExecutable != nil, "the modem executable is built with the tests"), .machineLoad,
    .timeLimit(.minutes(3)))
struct TapBackPressureTests {
    @Test func aHostThatNeverReadsThroughTheTap() async throws {
        let emulator = try await EmulatorProcess.start(["--pty"])
        defer { emulator.stop() }
        let tap = try await HostLineProcess.start(["tap", "--device", emulator.firstLine, "--pty"])
        defer { if tap.process.process.isRunning { tap.process.process.terminate() } }
        let device = try RawDevice.openTerminal(tap.address)
        defer { device.close() }
        let commands = Array(String(repeating: "AT+CIPSTATUS\r", count: 512).utf8)
        let baseline = try tap.process.residentKiB()
        let (written, peak) = try await device.flood(commands, for: StoppedReaderMemoryTests.flood) {
            try tap.process.residentKiB()
        }
        print("[TapBackPressureTests] \(written) bytes written, none read; VmRSS +\(peak - baseline) KiB")
        #expect(peak - baseline < StoppedReaderMemoryTests.bound)
        // Two PTYs' buffers and a read or two in each program, not an ever-growing queue.
        #expect(written < 512 * 1024)
        #expect(try await device.exchange("\rAT+GSN\r", until: "001010123456780", within: .seconds(20)))
    }
}
