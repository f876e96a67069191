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
        // Power-on comes after the launch, so every step's time is a lower bound from here.
        let launch = ContinuousClock.now
        let process = try await ModemProcess.start([
            "emulate", "--pty", "--link", link, "--control", control, "--model", model.rawValue,
            "--power-up", "1500ms", "--log-level", "error",
        ])
        defer { process.process.terminate() }
        let path = try await process.stdout!.read(until: "\n")
        #expect(path.hasPrefix("/dev/pts/"))
        let host = ModemSession(stream: try await ByteStream.openTerminal(link))
        defer { Task { await host.stream.close() } }

        // The power-up, compressed so that registration comes after 1.5 s, each step in proportion.
        let timing = model.realisticPowerUp.scaled(by: Self.registeredAfter / model.realisticPowerUp.registration)
        var boot = try await host.expect("\r\nRDY\r\n")
        #expect(ContinuousClock.now - launch >= timing.ready, "RDY came too early")
        // Poll the registration (a URC would be missed by a host that came late on a loaded machine).
        while !boot.contains("+CREG: 0,1") {
            boot += try await host.command("AT+CREG?")
        }
        #expect(ContinuousClock.now - launch >= timing.registration, "registered too early")
        boot += try await host.command("AT")  // whatever boot message was still on its way
        let order = ["+CFUN: 1", "+CPIN: READY", "Call Ready"] + (model.printsSMSReady ? ["SMS Ready"] : [])
        let lines = boot.split(separator: "\r\n").map(String.init)
        #expect(lines.filter(order.contains) == order, "\(boot)")
        #expect(!lines.contains("SMS Ready") || model.printsSMSReady)

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
