import FuzzSupport
import ModemCore
import ModemProtocol

/// The core `Modem` driven through its public inputs only: host bytes, network events and timer
/// firings, in the order the fuzz input gives them.
///
/// First byte: configuration (dialect, echo, small buffer limits so that every bound is reached,
/// model, a timed power-up, auto-bauding).
/// Then operations, one byte each plus operands: host bytes; a command line from the table below
/// with fuzzed arguments; answer the oldest request the modem made (success or failure); any
/// network event on a known or made-up connection; fire a started (or any) timer; reset.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    var driver = Driver(configuration: configuration(input.byte()))
    var steps = 0
    while !input.isEmpty, steps < 512 {
        steps += 1
        driver.step(&input)
    }
    driver.observe()
    return 0
}

func configuration(_ bits: UInt8) -> ModemConfiguration {
    var configuration = ModemConfiguration()
    configuration.dialect = bits & 1 == 0 ? .sim800 : StatusDialect.allCases.last!
    configuration.echo = bits & 2 == 0
    if bits & 4 != 0 {
        configuration.maximumLineLength = 40
        configuration.maximumSendLength = 64
        configuration.receiveBufferLimit = 256
        configuration.heldOutputLimit = 256
        configuration.pendingInputLimit = 256
    }
    if bits & 8 != 0 { configuration.responseTimes.shut = .milliseconds(200) }
    configuration.model = bits & 16 == 0 ? .sim800 : .sim900
    if bits & 32 != 0 { configuration.powerUp = ModuleFamily.sim800.realisticPowerUp }
    if bits & 64 != 0 { configuration.savedBaudRate = 0 }
    return configuration
}

/// Command lines that lead somewhere: each is sent as is, or with fuzzed bytes after it.
let commandLines: [String] = [
    "AT", "ATE0", "ATE1", "ATV0", "ATV1", "ATZ", "AT&F", "ATI", "AT+CIPMUX=1", "AT+CIPMUX=0", "AT+CSTT=\"internet\"",
    "AT+CIICR", "AT+CIFSR", "AT+CIPSTATUS", "AT+CIPSTATUS=0", "AT+CIPSTART=\"TCP\",\"127.0.0.1\",7",
    "AT+CIPSTART=0,\"TCP\",\"127.0.0.1\",7", "AT+CIPSTART=1,\"UDP\",\"example.com\",53",
    "AT+CIPSTART=\"UDP\",\"127.0.0.1\",9", "AT+CIPSEND", "AT+CIPSEND=5", "AT+CIPSEND=0,5", "AT+CIPSEND=1,3",
    "AT+CIPSEND?", "AT+CIPQSEND=1", "AT+CIPCLOSE", "AT+CIPCLOSE=1", "AT+CIPCLOSE=0,1", "AT+CIPSHUT", "AT+CIPHEAD=1",
    "AT+CIPRXGET=1", "AT+CIPRXGET=2,0,10", "AT+CIPRXGET=2,10", "AT+CIPRXGET=3,0,10", "AT+CIPRXGET=4,0",
    "AT+CIPRXGET?", "AT+CIPSERVER=1,8080", "AT+CIPSERVER=0", "AT+CGATT=1", "AT+CGATT=0", "AT+CGATT?",
    "AT+CDNSGIP=\"example.com\"", "AT+CDNSCFG=\"8.8.8.8\"", "AT+CIPMODE=1", "AT+CIPMODE=0", "ATO", "+++",
    "AT+CIPCCFG=3,2,1024,1", "AT+CIPPING=\"127.0.0.1\",2", "AT+SAPBR=3,1,\"APN\",\"internet\"", "AT+SAPBR=1,1",
    "AT+SAPBR=2,1", "AT+SAPBR=0,1", "AT+CFUN=0", "AT+CFUN=1", "AT+CFUN=1,1", "AT+CSQ", "AT+CREG?", "AT+CGREG?",
    "AT+CMEE=2", "AT+CIPSPRT=0", "AT+CIPSRIP=1", "AT+CIPSHOWTP=1", "AT+CLTS=1", "AT+CIPATS=1,5",
    "AT+CIPSTART=7,\"TCP\",\"127.0.0.1\",7", "AT+IPR=0", "AT&W", "AT+CLTS=1;&W", "AT+CPIN?", "AT+CMGF=1", "AT+CCLK?",
]

struct Driver {
    var modem: Modem
    var output = ModemOutput()
    /// Requests the modem made that a network would answer, oldest first.
    var requests: [ModemAction] = []
    var connections: [ConnectionID] = []
    var timers: [ModemTimer] = []
    var queries: [UInt64] = []
    var tokens: [UInt64] = [1]

    init(configuration: ModemConfiguration) {
        modem = Modem(configuration: configuration)
        modem.networkClock = {
            NetworkTime(year: 2026, month: 12, day: 1, hour: 0, minute: 30, second: 0, quarterHours: -14)
        }
    }

    mutating func step(_ input: inout FuzzInput) {
        let operation = input.byte()
        switch operation % 16 {
        case 0, 1, 2:
            serial(input.run(maximum: 64))
        case 3, 4, 5:
            var line = Array(input.pick(commandLines).utf8)
            if operation & 0x40 != 0 { line += input.run(maximum: 16) }
            serial(line + [0x0D])
        case 6, 7:
            answer(success: operation & 0x80 == 0, input: &input)
        case 8, 9, 10:
            network(&input)
        case 11, 12:
            if !timers.isEmpty, operation & 0x80 == 0 {
                let timer = timers.remove(at: input.int(0...(timers.count - 1)))
                modem.timerFired(timer, into: &output)
            } else {
                modem.timerFired(anyTimer(&input), into: &output)
            }
            collect()
        case 13:
            // Data for a send prompt, ended by Ctrl-Z or cancelled with ESC.
            serial(input.run(maximum: 64) + [operation & 0x80 == 0 ? 0x1A : 0x1B])
        case 14:
            if operation & 0x80 == 0 {
                serial(Array("payload".utf8))
            } else {
                modem.reset(into: &output)
                collect()
            }
        default:
            observe()
        }
    }

    mutating func serial(_ bytes: [UInt8]) {
        modem.serialReceived(bytes, into: &output)
        collect()
    }

    mutating func send(_ event: NetworkEvent) {
        modem.handle(event, into: &output)
        collect()
    }

    /// Remembers what the modem asked for, so that later operations can answer it.
    mutating func collect() {
        for action in output.actions {
            switch action {
            case .activateContext, .connect, .resolve, .activateBearer, .ping, .listen, .close(_, graceful: true):
                requests.append(action)
                if requests.count > 32 { requests.removeFirst() }
            case .accept(_, let id):
                connections.append(id)
            case .startTimer(let timer, _):
                timers.append(timer)
                if timers.count > 32 { timers.removeFirst() }
            default:
                break
            }
            if case .connect(let id, _, _, _) = action { connections.append(id) }
            if connections.count > 16 { connections.removeFirst() }
        }
        output.removeAll()
    }

    mutating func answer(success: Bool, input: inout FuzzInput) {
        guard !requests.isEmpty else { return }
        switch requests.removeFirst() {
        case .activateContext:
            send(success ? .contextActivated(localAddress: "10.0.0.2") : .contextActivationFailed)
        case .connect(let id, _, _, _):
            send(success ? .connected(id, remoteAddress: "127.0.0.1") : .connectFailed(id))
        case .resolve(let query, _):
            send(.resolved(query: query, addresses: success ? ["93.184.216.34"] : []))
        case .activateBearer(let profile, _):
            send(success ? .bearerActivated(profile: profile, localAddress: "10.0.0.3") : .bearerActivationFailed(profile: profile))
        case .ping(let query, _, let count, _):
            let trips: [Duration?] = (0..<min(count, 8)).map { _ in input.byte() & 1 == 0 ? .milliseconds(30) : nil }
            send(.pingCompleted(query: query, address: success ? "127.0.0.1" : nil, roundTrips: trips))
        case .listen(let port):
            send(success ? .listening(port: port) : .listenFailed(port: port))
        case .close(let id, _):
            send(.closed(id))
        default:
            break
        }
    }

    func connection(_ input: inout FuzzInput) -> ConnectionID {
        let choice = Int(input.byte())
        if !connections.isEmpty, choice < 224 { return connections[choice % connections.count] }
        return ConnectionID(rawValue: UInt64(choice % 20))
    }

    mutating func network(_ input: inout FuzzInput) {
        let kind = input.byte()
        let id = connection(&input)
        let event: NetworkEvent
        switch kind % 16 {
        case 0: event = .received(id, input.run())
        case 1: event = .received(id, Array(repeating: input.byte(), count: input.int(0...4000)))
        case 2: event = .remoteClosed(id)
        case 3: event = .closed(id)
        case 4: event = .connected(id, remoteAddress: "127.0.0.1")
        case 5: event = .connectFailed(id)
        case 6: event = .contextActivated(localAddress: "10.0.0.2")
        case 7: event = .contextActivationFailed
        case 8: event = .contextDeactivated
        case 9:
            let token = UInt64(input.byte())
            tokens.append(token)
            event = .incomingConnection(token: token, address: "127.0.0.1", port: 40000 + Int(token))
        case 10: event = .listening(port: input.int(0...70000))
        case 11: event = .resolved(query: UInt64(input.byte() % 8), addresses: input.byte() & 1 == 0 ? [] : ["1.2.3.4", "5.6.7.8"])
        case 12: event = .registrationChanged(registered: input.byte() & 1 == 0)
        case 13: event = .signalChanged(rssi: input.int(-1...100))
        case 14: event = .bearerActivated(profile: input.int(0...4), localAddress: "10.0.0.3")
        default: event = .pingCompleted(query: UInt64(input.byte() % 8), address: "127.0.0.1", roundTrips: [.milliseconds(5), nil])
        }
        send(event)
    }

    func anyTimer(_ input: inout FuzzInput) -> ModemTimer {
        switch input.byte() % 9 {
        case 0: .activation
        case 1: .connect(connection(&input))
        case 2: .close(connection(&input))
        case 3: .dnsQuery(UInt64(input.byte() % 8))
        case 4: .bearerActivation(profile: input.int(0...4))
        case 5: .ping(UInt64(input.byte() % 8))
        case 6: .escapeGuard
        case 7: .powerUp
        default: .response
        }
    }

    /// Everything a runtime or the control socket reads must be readable in any state.
    func observe() {
        _ = modem.snapshot
        for link in 0..<modem.linkCount { _ = modem.connection(onLink: link) }
    }
}
