import ModemProtocol

/// Settings of a virtual modem that a host cannot change with AT commands.
public struct ModemConfiguration: Sendable, Equatable {
    /// Which module of the family this is: its identity texts (``ModemIdentity/init(model:)``), its
    /// number of links in multi-connection mode, and the replies that differ between models
    /// (docs/compatibility.md). Setting it resets ``identity``'s model texts to that model's.
    public var model: ModuleFamily = .sim800 {
        didSet { identity.describe(model) }
    }
    /// How `AT+CIPSTATUS` is rendered.
    public var dialect: StatusDialect = .sim800
    /// Echo after power-on (`ATE1` is the SIM800 default).
    public var echo: Bool = true
    /// The longest command line accepted (SIM800: 556 characters).
    public var maximumLineLength: Int = 556
    /// The APN `AT+CSTT` without arguments, and `AT+CIPSTART` from `IP INITIAL`, use.
    public var defaultAPN: String = "CMNET"
    /// Most bytes one `AT+CIPSEND` takes (SIM800: 1460 for TCP).
    public var maximumSendLength: Int = 1460
    /// Most bytes of unread data a link holds in `AT+CIPRXGET=1` mode before the modem stops
    /// reading its socket (TCP: the peer meets back-pressure; UDP: datagrams that do not fit are dropped).
    public var receiveBufferLimit: Int = 64 * 1024
    /// Most bytes a link's send buffer holds: data accepted from the host (`DATA ACCEPT`, `SEND OK`
    /// pending, transparent mode) that the network has not taken yet. A send that does not fit waits
    /// for room; in transparent mode the modem stops reading the serial line. The manuals give only
    /// the size of one send (1460, `AT+CIPSEND?`); eight such segments is this emulator's choice.
    public var sendBufferLimit: Int = 8 * 1460
    /// Most bytes of unsolicited output held back while a command is in progress before the modem
    /// stops reading the links that produce it.
    public var heldOutputLimit: Int = 64 * 1024
    /// Most bytes of host input queued while a command is in progress; the rest is lost, as in a
    /// real module's UART buffer.
    public var pendingInputLimit: Int = 64 * 1024
    /// Timeouts of the module's own, after which it gives up (SIM800 manual, maximum response times).
    public var timeouts = Timeouts()
    /// The values general commands report.
    public var identity = ModemIdentity()
    /// How long commands that the core answers by itself take on a live network (zero: at once).
    public var responseTimes = ResponseTimes()
    /// When each step of a power-up comes (``PowerUpTiming/instant``: all at once, as today).
    public var powerUp = PowerUpTiming.instant
    /// The serial rate saved in the module's profile at power-on (`AT+IPR=<rate>` then `AT&W`).
    /// 0 is auto-bauding, a real module's factory setting: after a power-up it prints none of its
    /// boot messages and ignores input until the host sends `AT` (SIM800 manual §2.2.41.1). The
    /// default, 115200, is a module whose rate was fixed, which prints `RDY`; a pseudo-terminal
    /// has no rate, so only the behaviour differs.
    public var savedBaudRate = 115_200

    public init() {}

    /// A module of `model`, with that model's identity.
    public init(model: ModuleFamily) {
        self.model = model
        identity.describe(model)
    }

    /// The module's own time limits.
    public struct Timeouts: Sendable, Equatable {
        /// `AT+CIICR` (manual: 85 s).
        public var activation: Duration = .seconds(85)
        /// `AT+CIPSTART` until `CONNECT FAIL` (manual: 75 s).
        public var connect: Duration = .seconds(75)
        /// `AT+CIPSEND` waiting for the network to take its data: then `SEND FAIL` and the link
        /// closes (manual §8.2.3: "When +CIPQSEND=0 and the remote server no response, after 645
        /// seconds, CLOSE will be reported").
        public var send: Duration = .seconds(645)
        /// A graceful `AT+CIPCLOSE` waiting for the peer.
        public var close: Duration = .seconds(10)
        /// `AT+CDNSGIP`.
        public var dns: Duration = .seconds(30)
        /// Transparent mode: the quiet time needed before and after `+++` (SIM800: 1 s).
        public var escapeGuard: Duration = .seconds(1)
        /// An outgoing voice call nobody answers: the network releases it (`NO CARRIER`, or
        /// `NO ANSWER` with `AT+COLP=1`). The emulated network has no called party.
        public var unansweredCall: Duration = .seconds(30)

        public init() {}
    }
}

/// Response times of commands whose work is signalling between the module and the network, which
/// the core completes by itself: a runtime with realistic timing sets them (docs/network.md).
public struct ResponseTimes: Sendable, Equatable {
    /// `AT+CIPSHUT` with a PDP context up: the context's deactivation, one signalling round trip.
    public var shut: Duration = .zero

    public init() {}
}

/// What the module says about itself (`ATI`, `AT+GSN`, `AT+CCID`, …). The defaults are test
/// values, not those of a real device: the IMEI is in the GSMA test range and the IMSI uses the
/// test network 001-01.
public struct ModemIdentity: Sendable, Equatable {
    /// `AT+CGMI`
    public var manufacturer = "SIMCOM_Ltd"
    /// `AT+CGMM`
    public var model = "SIMCOM_SIM800L"
    /// `AT+CGMR`, `AT+GMR`
    public var revision = "Revision:1418B04SIM800L24"
    /// What `ATI` prints.
    public var productInformation = "SIM800 R14.18"
    /// What `AT+CCLK?` reports: a SIM800 without network time starts at 2004-01-01.
    public var clock = "04/01/01,00:00:00+00"
    /// `AT+GSN`, `AT+CGSN`: a 15-digit IMEI in the test range (TAC 00101012) with a valid Luhn check digit.
    public var imei = "001010123456780"
    /// `AT+CCID`
    public var iccid = "89001010000000000019"
    /// `AT+CIMI`: MCC 001, MNC 01, the test network.
    public var imsi = "001010000000001"
    /// `AT+COPS?`, `AT+CSPN?`
    public var operatorName = "ModemKit Test Network"
    /// The network's MCC and MNC (`+CIEV: 10,…` with `AT+CLTS=1`): the test network 001-01.
    public var network = "00101"
    /// `AT+CSQ` RSSI, 0–31 (99: unknown).
    public var signalQuality = 20
    /// `AT+CBC` battery voltage in mV.
    public var batteryMillivolts = 4012
    /// `AT+CNUM`: the SIM's own number (a number reserved for fiction). An SMS sent to it comes back
    /// as a received one.
    public var subscriberNumber = "+15555550100"
    /// `AT+CSCA?`: the SMS service centre the SIM names.
    public var serviceCentre = "+15555550199"
    /// Where the cell and the GNSS receiver say the module is (`AT+CLBS`, `AT+CIPGSMLOC`,
    /// `AT+CGNSINF`), in decimal degrees north.
    public var latitude = 48.858370
    /// The same position's longitude, in decimal degrees east.
    public var longitude = 2.294481

    public init() {}
}
