import ModemProtocol

/// A SIM800-class module's AT interface and TCP/IP application as a pure state machine.
///
/// Inputs are bytes from the host (``serialReceived(_:into:)``), network events
/// (``handle(_:into:)``) and timer firings (``timerFired(_:into:)``); each appends what to do to a
/// ``ModemOutput``: bytes for the serial line and ``ModemAction``s, in order. The machine has no
/// sockets, clocks or threads: a runtime (the emulator, or a test) executes the actions and feeds
/// the results back.
///
/// `Modem` coordinates small machines, each owning its state and changing it only through its
/// named transitions: the command interpreter, the packet context, the link table, the server
/// socket, the `AT+SAPBR` bearer profiles, the radio and the network queries.
public struct Modem: Sendable {
    /// Settings that AT commands cannot change.
    public let configuration: ModemConfiguration

    var interpreter: CommandInterpreter
    var settings: Settings
    var context = PacketContext()
    var radio: RadioState
    var links: LinkTable
    var server = ServerSocket()
    var bearers = BearerProfiles()
    var queries = NetworkQueries()
    var power = PowerUp()
    var messages = MessageStore()
    var phonebook = Phonebook()
    var call = VoiceCall()
    var http = HTTPSession()
    var gnss = GNSSReceiver()
    /// What `AT&W` saved.
    var profile: SavedProfile
    /// `AT+CLTS=1` took the network's time at registration: `AT+CCLK?` reads ``networkClock``.
    var clockSynchronized = false
    /// What the input being handled produced; the caller's buffers, swapped in.
    var output = ModemOutput()

    /// Whether each command line the host sends is also reported as ``ModemAction/commandLine(_:)``,
    /// for a runtime that triggers on commands (scenario files). Off by default: it costs a string
    /// per line.
    public var reportsCommandLines = false

    /// The network's current local time, which the module takes at registration with
    /// `AT+CLTS=1` (and `AT+CNTP`); `nil` (the default): a network that sends none. The one input
    /// the core reads rather than receives: the clock, SMS time stamps and location replies need
    /// the time synchronously, so the runtime injects it (the emulator: this machine's local time;
    /// tests: a fixed time).
    public var networkClock: (@Sendable () -> NetworkTime)?

    /// Number of links in multi-connection mode (SIM800: 0–5, SIM900: 0–7).
    public var linkCount: Int { links.count }

    /// A powered-on module in `IP INITIAL`.
    public init(configuration: ModemConfiguration = ModemConfiguration()) {
        self.configuration = configuration
        interpreter = CommandInterpreter(configuration: configuration)
        settings = Settings(echo: configuration.echo)
        radio = RadioState(signalQuality: configuration.identity.signalQuality)
        links = LinkTable(count: configuration.model.linkCount)
        profile = SavedProfile(baudRate: configuration.savedBaudRate)
        settings.misc["+IPR"] = configuration.savedBaudRate
    }

    // MARK: - Inputs

    /// Bytes the host wrote to the serial line. With `output`'s buffers reused across calls,
    /// answering a command such as `AT+CIPSTATUS` allocates nothing.
    public mutating func serialReceived(_ bytes: [UInt8], into output: inout ModemOutput) {
        handling(into: &output) { modem in
            var input = bytes[...]
            modem.process(&input)
        }
    }

    /// Something the network did.
    public mutating func handle(_ event: NetworkEvent, into output: inout ModemOutput) {
        handling(into: &output) { $0.networkEvent(event) }
    }

    /// A timer started with ``ModemAction/startTimer(_:after:)`` fired.
    public mutating func timerFired(_ timer: ModemTimer, into output: inout ModemOutput) {
        handling(into: &output) { $0.timerEvent(timer) }
    }

    /// Reboots the module (`AT+CFUN=1,1`, or power cycled): every connection is dropped, every
    /// setting returns to its power-on value and the module announces itself with `RDY`,
    /// `+CFUN: 1`, `+CPIN: READY`, `Call Ready`, `SMS Ready` (SIM800 manual §3.2.29, with a fixed
    /// baud rate) at ``ModemConfiguration/powerUp``'s times, then registers. A module created with
    /// ``init(configuration:)`` is already on; a runtime that simulates switching it on calls this first.
    public mutating func reset(into output: inout ModemOutput) {
        handling(into: &output) { $0.powerOn() }
    }

    /// Runs one input with the caller's buffers, then settles.
    private mutating func handling(into output: inout ModemOutput, _ body: (inout Modem) -> Void) {
        swap(&self.output, &output)
        body(&self)
        settle()
        swap(&self.output, &output)
    }

    // MARK: - Observing

    /// What `AT+CIPSTATUS` reports now.
    public var status: ConnectionStatus {
        if settings.multiConnection {
            return .multi(multiState, server: server.status, links: Array(links.statuses))
        }
        return .single(singleState)
    }

    /// Everything a host can observe of the modem's state, for comparisons in tests and for the
    /// emulator's control interface.
    public var snapshot: ModemSnapshot {
        ModemSnapshot(
            status: status,
            localAddress: context.localAddress,
            apn: context.apn,
            settings: settings,
            radio: radio,
            unreadBytes: links.unreadCounts,
            bearers: bearers.profiles,
            isBusy: interpreter.activity.isWaiting
        )
    }

    /// The connection behind a link, if one is open or being opened.
    public func connection(onLink number: Int) -> ConnectionID? {
        guard (0..<links.count).contains(number), let link = links[number], link.phase.isActive else { return nil }
        return link.id
    }

    // MARK: - Output

    /// Appends an information line of the current command's reply.
    mutating func info(_ text: String) {
        settings.formatter.appendLine(text, to: &output.serial)
    }

    /// Appends one of the module's own results as an information line.
    mutating func info(_ result: ModuleResult) {
        info(result.line)
    }

    /// Sends an unsolicited result code now, or after the command in progress completes.
    mutating func emitURC(_ result: ModuleResult) {
        emitURC(result.line)
    }

    /// Sends an unsolicited line now, or after the command in progress completes.
    mutating func emitURC(_ text: String) {
        interpreter.emit(text, formatter: settings.formatter, to: &output.serial)
    }

    /// Queues an action.
    mutating func act(_ action: ModemAction) {
        output.actions.append(action)
    }

    /// Ends the current command with `ERROR` or `+CME ERROR`.
    mutating func fail(_ error: MobileEquipmentError?) {
        settings.formatter.appendError(error, to: &output.serial)
    }

    /// Ends the current command with `+CMS ERROR: <code>`, or `ERROR` when `AT+CMEE=0`.
    mutating func failMessage(_ code: Int) {
        if settings.formatter.errorReporting == .disabled {
            fail(nil)
        } else {
            info("+CMS ERROR: \(code)")
        }
    }

    /// The link number as multi-connection mode prefixes it, `nil` in single-connection mode.
    func linkTag(_ number: Int) -> Int? {
        settings.multiConnection ? number : nil
    }
}

/// What the modem produced for one input: bytes for the serial line and actions for the runtime.
/// A runtime reuses one across inputs to avoid allocating.
public struct ModemOutput: Sendable {
    /// Bytes to write to the serial line, in order.
    public var serial: [UInt8] = []
    /// Every other action, in order.
    public var actions: [ModemAction] = []

    public init() {}

    /// Empties both buffers, keeping their storage.
    public mutating func removeAll() {
        serial.removeAll(keepingCapacity: true)
        actions.removeAll(keepingCapacity: true)
    }
}
