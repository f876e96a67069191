import ModemProtocol

/// Transparent mode's `+++` escape (V.250-style guard times, SIM800 manual §8.2.11 `AT+CIPMODE`,
/// §8.2.12 `AT+CIPCCFG`): filters host bytes into link data and spots a `+++` with quiet before
/// and after it. Time reaches it only as firings of ``ModemTimer/escapeGuard``.
struct EscapeDetector: Equatable, Sendable {
    enum State: Equatable, Sendable {
        /// Data flowed within the guard time.
        case busy
        /// The line has been quiet for the guard time: a `+++` may start.
        case quiet
        /// `count` `+` characters after a quiet period, not yet forwarded.
        case plus(count: Int)
        /// `+++` complete; quiet for the guard time once more leaves data mode.
        case escaping
    }

    /// What a guard time's end means.
    enum GuardOutcome: Equatable {
        /// Nothing to do.
        case none
        /// An incomplete escape was data after all: these bytes go to the link.
        case data([UInt8])
        /// `+++` with quiet on both sides: back to command mode.
        case escape
    }

    private(set) var state = State.busy
    /// A LF right after the CR of `ATO` or `AT+CIPSTART` is not data.
    private var skipLineFeed = false

    private static let plus = UInt8(ascii: "+")

    /// Data mode begins, right after the command line that started it.
    mutating func start() {
        state = .busy
        skipLineFeed = true
    }

    /// Data mode ended.
    mutating func stop() {
        state = .busy
    }

    /// The link data in `input`: every byte except a `+++` that may be the escape.
    mutating func filter(_ input: ArraySlice<UInt8>) -> [UInt8] {
        var data: [UInt8] = []
        for byte in input {
            if skipLineFeed {
                skipLineFeed = false
                if byte == SerialLineReader.lineFeed { continue }
            }
            switch state {
            case .quiet where byte == Self.plus:
                state = .plus(count: 1)
            case .plus(let count) where byte == Self.plus:
                state = count == 2 ? .escaping : .plus(count: count + 1)
            case .plus(let count):
                data.append(contentsOf: repeatElement(Self.plus, count: count))
                data.append(byte)
                state = .busy
            case .escaping:
                data.append(contentsOf: [Self.plus, Self.plus, Self.plus])
                data.append(byte)
                state = .busy
            default:
                data.append(byte)
                state = .busy
            }
        }
        return data
    }

    /// The guard time passed without a byte.
    mutating func guardElapsed() -> GuardOutcome {
        switch state {
        case .busy:
            state = .quiet
            return .none
        case .quiet:
            return .none
        case .plus(let count):
            state = .busy
            return .data(Array(repeating: Self.plus, count: count))
        case .escaping:
            return .escape
        }
    }
}
