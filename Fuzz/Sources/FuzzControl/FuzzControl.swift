import FuzzSupport
import Foundation
@testable import ModemEmulator

/// The control socket's request side: a request line (`ControlRequest`'s JSON decoding, as
/// `ControlDispatcher.handle(line:)` does it), the argument parsers a request reaches without a
/// running modem (`network` settings, `scenario` text), and the reply encoding, which must read
/// back as what was encoded.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let line = FuzzInput(data, size).all
    let request: ControlRequest
    do {
        request = try JSONDecoder().decode(ControlRequest.self, from: Data(line))
    } catch {
        roundTrip(ControlReply.failure("not a JSON request object: \(error)"))
        return 0
    }
    roundTrip(request)
    var reply = ControlReply(ok: true)
    switch request.command {
    case "network":
        var profile = NetworkProfile.ideal
        for setting in request.arguments {
            do throws(NetworkProfileError) {
                try profile.apply(setting)
            } catch {
                reply = .failure(error.description)
                break
            }
        }
        if reply.ok { reply.network = profile.description }
    case "scenario":
        for argument in request.arguments {
            do throws(ScenarioError) {
                _ = try Scenario.parse(argument)
            } catch {
                reply = .failure("scenario rejected: \(error)")
            }
        }
    default:
        reply = .failure("unknown command '\(request.command)'")
    }
    roundTrip(reply)
    return 0
}

/// What `ControlCoding.encode` writes is one line that decodes to the same value.
func roundTrip<Value: Codable & Equatable>(_ value: Value) {
    let bytes = ControlCoding.encode(value)
    fuzzCheck(bytes.last == 0x0A && bytes.dropLast().firstIndex(of: 0x0A) == nil, "reply is not one line")
    do {
        let decoded = try JSONDecoder().decode(Value.self, from: Data(bytes.dropLast()))
        fuzzCheck(decoded == value, "\(value) reads back as \(decoded)")
    } catch {
        fuzzCheck(false, "\(value) encodes to text that does not decode: \(error)")
    }
}
