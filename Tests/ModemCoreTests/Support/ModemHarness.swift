import ModemCore
import ModemProtocol

/// Drives a ``Modem`` through its public inputs and records what it does, as a runtime would.
struct ModemHarness {
    var modem: Modem
    /// Every non-write action, in order.
    private(set) var actions: [ModemAction] = []
    /// Whether the harness reports every `.send` as taken by the network at once, as a runtime on
    /// an idle network does; off, a test reports ``NetworkEvent/sent(_:count:)`` itself.
    var networkTakesSends = true

    /// A powered-on modem; with `echo` false, echo is turned off first (`ATE0`), as drivers do.
    init(
        dialect: StatusDialect = .sim800, echo: Bool = true, configure: (inout ModemConfiguration) -> Void = { _ in }
    ) {
        var configuration = ModemConfiguration()
        configuration.dialect = dialect
        configure(&configuration)
        modem = Modem(configuration: configuration)
        if !echo { echoOff() }
    }

    /// Sends raw bytes; returns what the modem wrote to the serial line.
    @discardableResult
    mutating func bytes(_ input: [UInt8]) -> String {
        var output = ModemOutput()
        modem.serialReceived(input, into: &output)
        return collect(output)
    }

    /// How ``send(_:)`` ends a line: CR, or CRLF as TinyGSM does.
    var lineEnd = "\r"

    /// Sends a command line ended by ``lineEnd``; returns what the modem wrote.
    @discardableResult
    mutating func send(_ line: String) -> String {
        bytes(Array((line + lineEnd).utf8))
    }

    /// Feeds a network event; returns what the modem wrote.
    @discardableResult
    mutating func event(_ event: NetworkEvent) -> String {
        var output = ModemOutput()
        modem.handle(event, into: &output)
        return collect(output)
    }

    /// Fires a timer; returns what the modem wrote.
    @discardableResult
    mutating func fire(_ timer: ModemTimer) -> String {
        var output = ModemOutput()
        modem.timerFired(timer, into: &output)
        return collect(output)
    }

    /// Reboots the modem; returns what it wrote.
    @discardableResult
    mutating func reset() -> String {
        var output = ModemOutput()
        modem.reset(into: &output)
        return collect(output)
    }

    /// Turns echo off, as drivers do first.
    mutating func echoOff() {
        send("ATE0")
    }

    private mutating func collect(_ output: ModemOutput) -> String {
        actions += output.actions
        var text = String(decoding: output.serial, as: UTF8.self)
        if networkTakesSends {
            for case .send(let id, let bytes) in output.actions { text += event(.sent(id, count: bytes.count)) }
        }
        return text
    }

    /// The connection of the most recent `connect` action.
    var lastConnection: ConnectionID? {
        for action in actions.reversed() {
            if case .connect(let id, _, _, _) = action { return id }
        }
        return nil
    }

    /// The most recent `send` action.
    var lastSend: ModemAction? {
        actions.last { if case .send = $0 { true } else { false } }
    }

    /// The token a runtime would use for the next incoming connection.
    var lastAccepted: ConnectionID? {
        for action in actions.reversed() {
            if case .accept(_, let id) = action { return id }
        }
        return nil
    }

    // MARK: Reaching states through inputs

    /// `AT+CSTT`, `AT+CIICR` answered by the network, `AT+CIFSR`: `IP STATUS`.
    mutating func bringUp(address: String = "10.64.0.2") {
        send("AT+CSTT=\"internet\"")
        send("AT+CIICR")
        event(.contextActivated(localAddress: address))
        send("AT+CIFSR")
    }

    /// Opens a link to host:port and has the network accept it; returns its connection.
    @discardableResult
    mutating func connect(
        link: Int? = nil, transport: TransportProtocol = .tcp, host: String = "127.0.0.1", port: Int = 8080
    ) -> ConnectionID {
        if let link {
            send("AT+CIPSTART=\(link),\"\(transport.rawValue)\",\"\(host)\",\(port)")
        } else {
            send("AT+CIPSTART=\"\(transport.rawValue)\",\"\(host)\",\(port)")
        }
        let id = lastConnection!
        event(.connected(id, remoteAddress: host))
        return id
    }

    /// The reply to `AT+CIPSTATUS`.
    mutating func status() -> String { send("AT+CIPSTATUS") }
}

/// An unused link line in the sim800 dialect.
func unusedSIM800(_ n: Int) -> String { "C: \(n),,\"\",\"\",\"\",\"INITIAL\"" }
/// An unused link line in the spec dialect.
func unusedSpec(_ n: Int) -> String { "C: \(n),,\"\",\"\",,\"INITIAL\"" }

/// The expected reply to `AT+CIPSTATUS` in multi mode: OK, STATE, then the S:/C: block.
func multiReply(_ state: String, _ lines: [String]) -> String {
    "\r\nOK\r\n\r\nSTATE: \(state)\r\n\r\n" + lines.joined(separator: "\r\n") + "\r\n"
}
