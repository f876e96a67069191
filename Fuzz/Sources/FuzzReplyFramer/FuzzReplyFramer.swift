import FuzzSupport
@testable import ModemClient
import ModemProtocol

/// The host side of the serial line: `ReplyFrameDecoder` on any bytes a module (or line noise)
/// writes, its frames fed to the command engine's state machine while commands are requested,
/// timers fire and the transport closes, as `CommandEngineHandler` would drive it.
///
/// First byte: small or default decoder limits. Then operations: bytes from the module; a
/// request from the table below; fire a started timer; close the transport.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let limits = input.byte()
    let maximumLineLength = limits & 1 == 0 ? 4096 : Int(limits >> 1) + 2
    let maximumDataLength = limits & 1 == 0 ? 65_536 : Int(limits >> 2)
    var decoder = ReplyFrameDecoder(maximumLineLength: maximumLineLength, maximumDataLength: maximumDataLength)
    var engine = CommandEngineStateMachine()
    var timers: [CommandEngineStateMachine.TimerID] = []
    var nextID: CommandEngineStateMachine.RequestID = 1
    var outstanding: Set<CommandEngineStateMachine.RequestID> = []

    func carryOut(_ actions: [CommandEngineStateMachine.Action]) {
        for action in actions {
            switch action {
            case .startTimer(let timer, _): timers.append(timer)
            case .cancelTimer(let timer): timers.removeAll { $0 == timer }
            case .succeed(let id, _), .fail(let id, _):
                fuzzCheck(outstanding.remove(id) != nil, "request \(id) answered twice or never asked")
            case .write, .deliver: break
            }
        }
    }

    var steps = 0
    while !input.isEmpty, steps < 256 {
        steps += 1
        let operation = input.byte()
        switch operation % 8 {
        case 0, 1, 2, 3:
            var bytes = input.run(maximum: 128)[...]
            while !bytes.isEmpty {
                let before = bytes.count
                guard let frame = decoder.next(&bytes) else {
                    fuzzCheck(bytes.isEmpty, "no frame but input left")
                    break
                }
                fuzzCheck(bytes.count < before || before == 0, "a frame out of no input")
                check(frame, maximumLineLength: maximumLineLength, maximumDataLength: maximumDataLength)
                carryOut(engine.frameReceived(frame))
            }
        case 4, 5:
            let (line, completion) = input.pick(requests)
            let request = ATRequest(line, completion: completion, payload: Array("data".utf8))
            outstanding.insert(nextID)
            carryOut(engine.commandRequested(request, id: nextID))
            nextID += 1
        case 6:
            guard !timers.isEmpty else { continue }
            carryOut(engine.timerFired(timers[input.int(0...(timers.count - 1))]))
        default:
            if operation & 0x80 != 0 { carryOut(engine.transportClosed()) }
        }
    }
    carryOut(engine.transportClosed())
    fuzzCheck(outstanding.isEmpty, "requests left unanswered after the transport closed: \(outstanding)")
    return 0
}

let requests: [(String, ATRequest.Completion?)] = [
    ("AT", nil), ("ATE0", nil), ("AT+CSQ", nil), ("AT+CIFSR", nil), ("AT+CIPSHUT", nil), ("AT+CIPCLOSE=1", nil),
    ("AT+CIPSEND=4", nil), ("AT+CIPSEND=0,4", nil), ("AT+CIPSTATUS", .status(multiConnection: nil, linkCount: 6)),
    ("AT+CIPSTATUS", .status(multiConnection: false, linkCount: 1)),
    ("AT+CIPSTATUS", .status(multiConnection: true, linkCount: 6)), ("AT+CIPRXGET=2,0,100", nil),
    ("AT+CIPRXGET?", nil), ("AT+CIPSTART=\"TCP\",\"127.0.0.1\",7", nil), ("AT+CDNSGIP=\"example.com\"", nil),
    ("not a command", nil),
]

/// What `ReplyFrameDecoder` promises about each frame.
func check(_ frame: ReplyFrame, maximumLineLength: Int, maximumDataLength: Int) {
    switch frame {
    case .line(let line):
        fuzzCheck(!line.isEmpty, "empty line frame")
        fuzzCheck(line.utf8.count <= maximumLineLength * 3, "line of \(line.utf8.count) bytes")
    case .prompt:
        break
    case .data(let header, let bytes):
        fuzzCheck(bytes.count <= maximumDataLength, "data block of \(bytes.count) bytes over \(maximumDataLength)")
        fuzzCheck(!header.isEmpty, "data block without a header")
    }
}
