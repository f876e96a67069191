import ModemCore
import ModemProtocol
import TestSupport
import Testing

/// Power-up as a real module does it: the UART first, then the boot messages and the
/// registration at their times; auto-bauding; what `AT&W` keeps across a reboot.
@Suite("Power-up")
struct PowerUpTests {
    static let timing = PowerUpTiming(
        uart: .milliseconds(500), ready: .milliseconds(1000), functionality: .milliseconds(1100),
        sim: .milliseconds(1300), callReady: .milliseconds(3000), smsReady: .milliseconds(3100),
        registration: .milliseconds(5000))

    /// The delays of every power-up timer started since `from`.
    static func timerDelays(_ actions: ArraySlice<ModemAction>) -> [Duration] {
        actions.compactMap { action in
            if case .startTimer(.powerUp, let after) = action { return after }
            return nil
        }
    }

    @Test("each step comes when its timer fires: input before the UART is lost, the SIM and SMS wait for their URCs")
    func timedPowerUp() {
        var modem = ModemHarness(echo: false) { $0.powerUp = Self.timing }
        let before = modem.actions.count
        #expect(modem.reset() == "")
        #expect(modem.send("AT") == "", "the UART is not up: no echo, no reply")
        #expect(modem.fire(.powerUp) == "", "the UART is up, silently")
        #expect(modem.send("AT") == "AT\r\r\nOK\r\n", "answered before RDY, echo back on (real SIM800L and SIM808 logs)")
        #expect(modem.send("ATE0") == "ATE0\r\r\nOK\r\n")
        #expect(modem.fire(.powerUp) == "\r\nRDY\r\n")
        #expect(modem.send("AT+CPIN?") == "\r\nERROR\r\n", "the SIM is busy")
        #expect(modem.send("AT+CMEE=2;+CPIN?") == "\r\n+CME ERROR: SIM busy\r\n")
        #expect(modem.send("AT+CREG?") == "\r\n+CREG: 0,2\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CREG=1") == "\r\nOK\r\n")
        #expect(modem.fire(.powerUp) == "\r\n+CFUN: 1\r\n")
        #expect(modem.fire(.powerUp) == "\r\n+CPIN: READY\r\n")
        #expect(modem.send("AT+CPIN?") == "\r\n+CPIN: READY\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CMGF=1") == "\r\nERROR\r\n", "no SMS before SMS Ready")
        #expect(modem.fire(.powerUp) == "\r\nCall Ready\r\n")
        #expect(modem.fire(.powerUp) == "\r\nSMS Ready\r\n")
        #expect(modem.send("AT+CMGF=1") == "\r\nOK\r\n")
        #expect(modem.send("AT+SAPBR=1,1") == "\r\n+CME ERROR: operation not allowed\r\n", "not registered yet")
        #expect(modem.fire(.powerUp) == "\r\n+CREG: 1\r\n")
        #expect(modem.send("AT+CREG?") == "\r\n+CREG: 1,1\r\n\r\nOK\r\n")
        #expect(modem.fire(.powerUp) == "", "nothing is left to come")
        let delays = Self.timerDelays(modem.actions[before...])
        #expect(
            delays == [500, 500, 100, 200, 1700, 100, 1900].map { Duration.milliseconds($0) },
            "each timer runs until the next step's time since power-on")
    }

    @Test("an instant power-up writes the whole sequence at once and registers at once")
    func instantPowerUp() {
        var modem = ModemHarness(echo: false) { $0.savedBaudRate = 115_200 }
        modem.send("AT+CREG=1")
        #expect(modem.reset() == "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n")
        #expect(modem.send("AT+CREG?") == "AT+CREG?\r\r\n+CREG: 0,1\r\n\r\nOK\r\n")
    }

    @Test("auto-bauding: no boot message, and input is lost until AT (split across reads) teaches the rate")
    func autoBauding() {
        var fresh = ModemHarness { $0.savedBaudRate = 0 }
        #expect(fresh.reset() == "")
        #expect(fresh.bytes(Array("xyz\rTA".utf8)) == "", "T before A, and a lone A, teach nothing")
        #expect(fresh.bytes(Array("t+CSQ\r".utf8)) == "At+CSQ\r\r\n+CSQ: 20,0\r\n\r\nOK\r\n")
        #expect(fresh.send("AT+IPR?") == "AT+IPR?\r\r\n+IPR: 0\r\n\r\nOK\r\n")
    }

    @Test("AT&W saves the rate: AT+IPR=0;&W makes the next reboot silent, AT+IPR=0 alone does not")
    func savedRate() {
        var unsaved = ModemHarness(echo: false)
        #expect(unsaved.send("AT+IPR=0") == "\r\nOK\r\n")
        #expect(unsaved.send("AT+CFUN=1,1").contains("RDY"))
        var saved = ModemHarness(echo: false)
        #expect(saved.send("AT+IPR=0;&W") == "\r\nOK\r\n")
        #expect(saved.send("AT+CFUN=1,1") == "\r\nOK\r\n")
        #expect(saved.send("AT") == "AT\r\r\nOK\r\n", "AT teaches the rate and is answered")
    }

    @Test("a SIM900 boots without SMS Ready")
    func sim900Boot() {
        var modem = ModemHarness(echo: false) { $0.model = .sim900 }
        #expect(modem.reset() == "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n")
    }

    @Test("AT+CLTS=1 saved: the registration brings the network's time and its URCs; AT+CCLK? reads it")
    func networkTime() {
        // 21:05:30 at UTC+1 (4 quarter hours), 20:05:30 UTC.
        let time = NetworkTime(year: 2026, month: 12, day: 1, hour: 21, minute: 5, second: 30, quarterHours: 4)
        var modem = ModemHarness(echo: false)
        modem.modem.networkClock = { time }
        #expect(modem.send("AT+CCLK?") == "\r\n+CCLK: \"04/01/01,00:00:00+00\"\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CLTS=1;&W") == "\r\nOK\r\n")
        #expect(modem.send("AT+CCLK?") == "\r\n+CCLK: \"04/01/01,00:00:00+00\"\r\n\r\nOK\r\n", "only a registration sets it")
        let reboot = modem.send("AT+CFUN=1,1")
        #expect(
            reboot.hasSuffix(
                "SMS Ready\r\n\r\n+CTZV: +4,0\r\n\r\n*PSUTTZ: 2026,12,1,20,5,30,\"+4\",0\r\n\r\nDST: 0\r\n"
                    + "\r\n+CIEV: 10,\"00101\",\"ModemKit Test Network\",\"ModemKit Test Network\", 0, 0\r\n"),
            "\(reboot)")
        modem.echoOff()
        #expect(modem.send("AT+CCLK?") == "\r\n+CCLK: \"26/12/01,21:05:30+04\"\r\n\r\nOK\r\n")
        #expect(modem.send("AT+CLTS?") == "\r\n+CLTS: 1\r\n\r\nOK\r\n")
    }

    @Test("network time across midnight and a negative zone: *PSUTTZ carries the UTC date")
    func networkTimeAcrossMidnight() {
        // 2027-01-01 01:30 at UTC-5 is 06:30 UTC; 2024-03-01 00:10 at UTC+2 is 2024-02-29 22:10 UTC.
        let west = NetworkTime(year: 2027, month: 1, day: 1, hour: 1, minute: 30, second: 0, quarterHours: -20)
        let east = NetworkTime(year: 2024, month: 3, day: 1, hour: 0, minute: 10, second: 0, quarterHours: 8)
        var modem = ModemHarness(echo: false)
        modem.send("AT+CLTS=1;&W")
        modem.modem.networkClock = { west }
        #expect(modem.send("AT+CFUN=1,1").contains("*PSUTTZ: 2027,1,1,6,30,0,\"-20\",0"))
        modem.modem.networkClock = { east }
        #expect(modem.send("AT+CFUN=1,1").contains("*PSUTTZ: 2024,2,29,22,10,0,\"+8\",0"))
        #expect(west.clockText == "27/01/01,01:30:00-20")
    }

    @Test("property: random input, timer firings and reboots in any order never crash; the module ends up answering", arguments: 0..<8)
    func randomPowerUps(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let autoBauding = seed % 2 == 0
        let model = ModuleFamily.allCases[Int(seed) % ModuleFamily.allCases.count]
        var modem = ModemHarness {
            $0.model = model
            $0.powerUp = Self.timing
            $0.savedBaudRate = autoBauding ? 0 : 115_200
        }
        let alphabet = Array("AaTt\r\n+CREG?PIN ".utf8) + [0x00, 0x1A, 0x1B, 0xFF]
        for _ in 0..<300 {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: modem.reset()
            case 1: modem.send("AT+CFUN=1,1")
            case 2, 3, 4: modem.fire(.powerUp)
            default:
                let count = Int.random(in: 1...24, using: &rng)
                modem.bytes((0..<count).map { _ in alphabet.randomElement(using: &rng)! })
            }
        }
        for _ in 0..<8 { modem.fire(.powerUp) }
        modem.bytes(Array("\r".utf8))
        let reply = modem.send("AT")
        #expect(reply.hasSuffix("\r\nOK\r\n"), "\(reply)")
        #expect(modem.modem.snapshot.radio.registered)
        #expect(modem.modem.snapshot.radio.simReady && modem.modem.snapshot.radio.smsReady)
    }
}
