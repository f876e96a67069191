import FuzzSupport
import ModemEmulator

/// `Scenario.parse` on any text: it accepts or refuses, never traps. A refusal names a line of the
/// file; an accepted scenario only holds network settings the runtime can apply and times a timer
/// can take.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let text = String(decoding: input.all, as: UTF8.self)
    let lines = text.utf8.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
    do throws(ScenarioError) {
        let scenario = try Scenario.parse(text)
        for event in scenario.events {
            fuzzCheck((1...lines).contains(event.line), "event on line \(event.line) of \(lines)")
            fuzzCheck(event.delay >= .zero, "negative delay \(event.delay)")
            if case .at(let time) = event.trigger { fuzzCheck(time >= .zero, "negative time \(time)") }
            if case .network(let settings) = event.change {
                var profile = NetworkProfile.ideal
                for setting in settings {
                    do throws(NetworkProfileError) {
                        try profile.apply(setting)
                    } catch {
                        fuzzCheck(false, "accepted network setting \(setting) does not apply: \(error)")
                    }
                }
            }
        }
    } catch {
        if let line = error.line { fuzzCheck((1...lines).contains(line), "error on line \(line) of \(lines)") }
        fuzzCheck(!error.reason.isEmpty, "error without a reason")
    }
    return 0
}
