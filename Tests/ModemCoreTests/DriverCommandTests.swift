import Foundation
import ModemCore
import ModemProtocol
import Testing

/// One command form a driver sends, from `Fixtures/driver-commands.tsv`.
struct DriverCommand: Sendable, CustomTestStringConvertible {
    let line: String
    let drivers: String
    /// The state the driver has put the modem in before it sends the line.
    let setup: String
    /// Whether a real module of each model answers it with anything but `ERROR`.
    let answered: [ModuleFamily: Bool]

    var testDescription: String { line }

    /// Every row of the fixture; empty when it cannot be read (the count test then fails).
    static let all: [DriverCommand] = {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil),
            let text = try? String(contentsOf: url.appendingPathComponent("driver-commands.tsv"), encoding: .utf8)
        else { return [] }
        let models: [ModuleFamily] = [.sim800, .sim808, .sim900]
        return text.split(separator: "\n").dropFirst(4).compactMap { row in
            let fields = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 6 else { return nil }
            let answered = Dictionary(uniqueKeysWithValues: zip(models, fields[3...].map { $0 == "ok" }))
            return DriverCommand(line: fields[0], drivers: fields[1], setup: fields[2], answered: answered)
        }
    }()
}

/// Issue 13 §3: no command a surveyed driver sends gets `ERROR` where the real module answers, and
/// the ones a real module refuses too still get `ERROR`.
@Suite struct DriverCommandTests {
    @Test func theFixtureHasEveryForm() {
        #expect(DriverCommand.all.count == 216)
    }

    @Test(arguments: DriverCommand.all, [ModuleFamily.sim800, .sim808, .sim900])
    func driverCommand(_ command: DriverCommand, model: ModuleFamily) {
        var modem = ModemHarness(echo: false) { $0.model = model }
        modem.prepare(command.setup)
        let reply = modem.send(command.line)
        let refused = reply.split(separator: "\r\n").contains {
            $0 == "ERROR" || $0.hasPrefix("+CME ERROR") || $0.hasPrefix("+CMS ERROR")
        }
        #expect(refused != command.answered[model], "\(command.line) (\(command.drivers)) on \(model): \(reply)")
    }
}

extension ModemHarness {
    /// Puts the modem in the state a driver has reached when it sends a command of `setup`.
    mutating func prepare(_ setup: String) {
        switch setup {
        case "text": send("AT+CMGF=1")
        case "pdu": send("AT+CMGF=0")
        case "call": send("ATD+15551234567;")
        case "bearer", "http":
            openBearer()
            if setup == "http" { send("AT+HTTPINIT") }
        case "cstt": send("AT+CSTT=\"internet\"")
        case "context": bringUp()
        case "link":
            bringUp()
            connect()
        case "manual":
            send("AT+CIPRXGET=1")
            bringUp()
            connect()
        case "multi", "multilink", "multimanual":
            send("AT+CIPMUX=1")
            if setup == "multimanual" { send("AT+CIPRXGET=1") }
            bringUp()
            if setup != "multi" { connect(link: 0) }
        default: break
        }
    }

    /// `AT+SAPBR` profile 1 configured and opened by the network.
    mutating func openBearer() {
        send("AT+SAPBR=3,1,\"APN\",\"internet\"")
        send("AT+SAPBR=1,1")
        event(.bearerActivated(profile: 1, localAddress: "10.64.0.9"))
    }
}
