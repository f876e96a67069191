import Foundation
import ModemCore
import ModemProtocol
import TestSupport
import Testing

/// `modem emulate --model M` for every model, as a user starts it: the power-up sequence at the
/// model's (shortened) times, its identity, its links in multi mode, and `modem ctl status`.
@Suite(.enabled(if: modemExecutable != nil, "the modem executable is built with the tests"), .timeLimit(.minutes(1)))
struct ModelCommandLineTests {
    /// How long the shortened power-up takes until the module is registered.
    static let registeredAfter = Duration.milliseconds(1500)

    @Test("each model powers up at its times, names itself and lists its links", arguments: ModuleFamily.allCases)
    func model(_ model: ModuleFamily) async throws {
        let link = temporaryPath("model-\(model.rawValue)-tty")
        let control = temporaryPath("model-\(model.rawValue)-ctl")
        let process = try await ModemProcess.start([
            "emulate", "--pty", "--link", link, "--control", control, "--model", model.rawValue,
            "--power-up", "1500ms", "--log-level", "error",
        ])
        defer { process.process.terminate() }
        let path = try await process.stdout!.read(until: "\n")
        let start = ContinuousClock.now
        #expect(path.hasPrefix("/dev/pts/"))
        let host = ModemSession(stream: try await ByteStream.openTerminal(link))
        defer { Task { await host.stream.close() } }

        // The power-up, compressed so that registration comes after 1.5 s, each step in proportion.
        let timing = model.realisticPowerUp.scaled(by: Self.registeredAfter / model.realisticPowerUp.registration)
        try await host.expect("\r\nRDY\r\n")
        let ready = ContinuousClock.now
        try await host.command("AT+CREG=1")
        let boot = try await host.expect("\r\n+CREG: 1\r\n")
        let registered = ContinuousClock.now
        let order = ["+CFUN: 1", "+CPIN: READY", "Call Ready"] + (model.printsSMSReady ? ["SMS Ready"] : []) + ["+CREG: 1"]
        let lines = boot.split(separator: "\r\n").map(String.init)
        #expect(lines.filter(order.contains) == order, "\(boot)")
        #expect(!lines.contains("SMS Ready") || model.printsSMSReady)
        // Scheduling can only delay what the host reads; the margin covers reading RDY late.
        let slack = Duration.milliseconds(100)
        #expect(ready - start >= timing.ready - slack - .milliseconds(50), "RDY came too early")
        #expect(registered - ready >= timing.registration - timing.ready - slack, "registered too early")

        let texts = model.identityTexts
        #expect(try await host.command("ATI").contains("\r\n\(texts.productInformation)\r\n"))
        #expect(try await host.command("AT+CGMM").contains("\r\n\(texts.model)\r\n"))
        try await host.command("AT+CIPMUX=1")
        try await host.send("AT+CIPSTATUS")
        let status = try await host.expect("C: \(model.linkCount - 1),")
        let rest = try await host.expect("\r\n")
        let links = (status + rest).split(separator: "\r\n").filter { $0.hasPrefix("C: ") }
        #expect(links.count == model.linkCount, "\(status)")

        let report = try await ModemProcess.run(["ctl", "--control", control, "status"])
        #expect(report.stdout.contains("\"model\":\"\(model.rawValue)\""), "\(report.stdout)")
    }

    @Test("--help names the models and --model rejects an unknown one")
    func help() async throws {
        let help = try await ModemProcess.run(["emulate", "--help"])
        #expect(help.stdout.contains("sim900"))
        let bad = try await ModemProcess.run(["emulate", "--pty", "--model", "sim7000"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--model"), "\(bad.stderr)")
    }
}
