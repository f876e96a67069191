import ModemProtocol

/// Settings a host changes with AT commands; all return to these values on reset.
public struct Settings: Equatable, Sendable {
    /// `ATE`
    public var echo: Bool
    /// `ATV` and `AT+CMEE`.
    public var formatter = ResponseFormatter()
    /// `AT+CIPMUX`
    public var multiConnection = false
    /// `AT+CIPQSEND`: `DATA ACCEPT` instead of `SEND OK`.
    public var quickSend = false
    /// `AT+CIPRXGET=1`: received data waits for `AT+CIPRXGET=2/3`.
    public var manualReceive = false
    /// `AT+CIPHEAD`: `+IPD,<len>:` before received data in single mode.
    public var receiveHeader = false
    /// `AT+CIPSRIP`: `RECV FROM:<ip>:<port>` before received data.
    public var showRemoteAddress = false
    /// `AT+CIPSPRT`: the send prompt (1: `> ` and `SEND OK`, 0: no prompt, 2: no prompt and no `SEND OK`).
    public var sendPrompt = 1
    /// `AT+CIPSGTXT`: the bearer new links use.
    public var bearer = 0
    /// `AT+CDNSCFG`
    public var primaryDNS = "0.0.0.0"
    public var secondaryDNS = "0.0.0.0"
    /// `AT+CSCS`
    public var characterSet = "IRA"
    /// `AT+CIPMODE`: transparent mode.
    public var transparent = false
    /// `AT+CIPCCFG`: retries, wait time, send size, escape enabled, rx mode, rx size, rx timer.
    public var transparentConfiguration = [5, 2, 1024, 1, 0, 1460, 50]
    /// `AT+CNMI`: `<mode>,<mt>,<bm>,<ds>,<bfr>`; `<mt>` 1 announces a stored SMS with `+CMTI`,
    /// 2 and 3 show it with `+CMT` instead of storing it.
    public var messageIndications = [2, 1, 0, 0, 0]
    /// `AT+CSMP`: `<fo>,<vp>,<pid>,<dcs>` of text-mode messages.
    public var messageParameters = [17, 167, 0, 0]
    /// `AT+CSCA`: the service centre the host set; `nil`: the SIM's (``ModemIdentity/serviceCentre``).
    public var serviceCentre: String?
    /// `AT+CNTP="<server>",<tz>`: the NTP server and the time zone (quarter hours) it applies.
    public var timeServer = ""
    public var timeServerZone = 0
    /// Settings that only need to be read back (`AT+IPR`, `AT+IFC`, `AT+CLTS`, …), by command name.
    public var misc: [String: Int] = [:]

    init(echo: Bool) {
        self.echo = echo
    }
}


/// The settings `AT&W` saves and a power-up restores (SIM800 manual: `AT&W_SAVE`). Only those
/// with an effect at power-up are kept: the serial rate (0: auto-bauding) and `AT+CLTS`.
struct SavedProfile: Equatable, Sendable {
    var baudRate: Int
    var networkTime = false
}
