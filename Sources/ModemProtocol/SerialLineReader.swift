/// Frames the bytes a host writes to the modem's serial line: command lines in command mode,
/// and the data block of `AT+CIPSEND` in its data phase.
///
/// Command mode follows ITU-T V.250 §5.2: CR (S3) ends a line, backspace (S5) or DEL removes the
/// last character, a LF directly after CR is ignored and a lone LF also ends a line (tolerated:
/// many hosts send `\n` only). NUL, Ctrl-Z and ESC are dropped in command mode. A line longer than ``maximumLineLength`` is not kept growing: the
/// rest is discarded and ``Frame/lineTooLong`` reported at its end, so that the modem answers
/// `ERROR`.
///
/// Data phases (SIM800 manual §8.2.3 `AT+CIPSEND`): either data ended by Ctrl-Z (0x1A), with ESC
/// (0x1B) cancelling the send, or exactly `length` bytes taken verbatim. A LF that directly follows
/// the CR of the command that started the phase is not payload (drivers write `\r\n` in pieces).
public struct SerialLineReader: Sendable {
    /// What the reader is framing now.
    public enum Phase: Equatable, Sendable {
        /// Command lines.
        case command
        /// Data ended by Ctrl-Z; bytes beyond `maximum` are discarded.
        case dataUntilCtrlZ(maximum: Int)
        /// Exactly `length` bytes of data.
        case dataFixed(length: Int)
    }

    /// The bytes the reader gives meaning to (V.250 S3, S4, S5; Ctrl-Z and ESC of `AT+CIPSEND`).
    public static let carriageReturn: UInt8 = 0x0D
    public static let lineFeed: UInt8 = 0x0A
    public static let backspace: UInt8 = 0x08
    public static let delete: UInt8 = 0x7F
    public static let ctrlZ: UInt8 = 0x1A
    public static let escape: UInt8 = 0x1B

    /// The longest command line accepted, in bytes (SIM800: 556 characters).
    public let maximumLineLength: Int
    /// The current phase.
    public private(set) var phase: Phase = .command

    /// What ``nextFrame(_:)`` found; the bytes of a line or data frame are in ``frameBytes``.
    public enum Frame: Equatable, Sendable {
        /// A command line, without its terminator.
        case line
        /// A line that exceeded ``SerialLineReader/maximumLineLength``; its bytes were discarded.
        case lineTooLong
        /// The data of a data phase; the reader is back in command mode.
        case data
        /// ESC ended a Ctrl-Z data phase; the data was discarded and the reader is in command mode.
        case dataCancelled
    }

    private var buffer: [UInt8] = []
    /// The buffer holds a finished frame, cleared when reading goes on.
    private var frameReady = false
    private var overflowed = false
    private var previousWasCR = false
    private var skipLineFeed = false
    /// How this host ends its lines, learned from what follows a CR: `true` CRLF, `false` CR
    /// alone, `nil` not seen yet. Only a CRLF host's LF after a data command's CR is a line end;
    /// after a host that ends lines with CR alone, a payload's leading LF is data.
    private var hostEndsLinesWithCRLF: Bool?

    /// Creates a reader that rejects command lines longer than `maximumLineLength` bytes.
    public init(maximumLineLength: Int = 556) {
        precondition(maximumLineLength > 0)
        self.maximumLineLength = maximumLineLength
        buffer.reserveCapacity(64)
    }

    /// Starts a data phase. Called by the modem after it has sent the `> ` prompt.
    public mutating func beginData(_ phase: Phase) {
        self.phase = phase
        buffer.removeAll(keepingCapacity: true)
        frameReady = false
        overflowed = false
        skipLineFeed = previousWasCR && hostEndsLinesWithCRLF != false
        if case .dataFixed(let length) = phase, length <= 0 {
            self.phase = .command
        }
    }

    /// Ends a data phase without an event (the modem gave up, e.g. the link closed).
    public mutating func cancelData() {
        phase = .command
        buffer.removeAll(keepingCapacity: true)
    }

    /// Whether bytes of an unfinished command line are held.
    public var hasPartialLine: Bool { phase == .command && !frameReady && (!buffer.isEmpty || overflowed) }

    /// The bytes of the line or data frame ``nextFrame(_:)`` returned last; valid until the next
    /// call of ``nextFrame(_:)`` or ``beginData(_:)``.
    public var frameBytes: [UInt8] { frameReady ? buffer : [] }

    /// Calls `body` with the bytes of the last line or data frame, without copying them.
    public func withFrameBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        frameReady ? buffer.withUnsafeBufferPointer(body) : body(UnsafeBufferPointer(start: nil, count: 0))
    }

    /// Consumes bytes from the front of `input` until one frame is complete or `input` is empty.
    ///
    /// Returns the frame, or `nil` when all of `input` was consumed without completing one. The
    /// bytes of a line or data frame stay in ``frameBytes`` until reading goes on, so that the
    /// modem parses a line in place. The caller handles the frame (and may call ``beginData(_:)``)
    /// before reading on, so that the bytes after a command line are framed in the phase that
    /// command started.
    public mutating func nextFrame(_ input: inout ArraySlice<UInt8>) -> Frame? {
        if frameReady {
            buffer.removeAll(keepingCapacity: true)
            frameReady = false
        }
        while let byte = input.first {
            input = input.dropFirst()
            if skipLineFeed {
                skipLineFeed = false
                hostEndsLinesWithCRLF = byte == Self.lineFeed
                if byte == Self.lineFeed {
                    previousWasCR = false
                    continue
                }
            }
            switch phase {
            case .command:
                if let frame = commandByte(byte) { return frame }
            case .dataUntilCtrlZ(let maximum):
                previousWasCR = false
                switch byte {
                case Self.ctrlZ:
                    return finishData()
                case Self.escape:
                    phase = .command
                    buffer.removeAll(keepingCapacity: true)
                    return .dataCancelled
                default:
                    if buffer.count < maximum { buffer.append(byte) }
                    // Plain data up to the next Ctrl-Z or ESC in one copy.
                    let end = input.firstIndex { $0 == Self.ctrlZ || $0 == Self.escape } ?? input.endIndex
                    let plain = input[..<end]
                    buffer.append(contentsOf: plain.prefix(max(0, maximum - buffer.count)))
                    input = input[end...]
                }
            case .dataFixed(let length):
                previousWasCR = false
                buffer.append(byte)
                // The rest of the data in one copy rather than a byte at a time.
                let take = min(length - buffer.count, input.count)
                buffer.append(contentsOf: input.prefix(take))
                input = input.dropFirst(take)
                if buffer.count == length { return finishData() }
            }
        }
        return nil
    }

    private mutating func finishData() -> Frame {
        phase = .command
        frameReady = true
        return .data
    }

    private mutating func commandByte(_ byte: UInt8) -> Frame? {
        if previousWasCR { hostEndsLinesWithCRLF = byte == Self.lineFeed }
        defer { previousWasCR = byte == Self.carriageReturn }
        switch byte {
        case Self.carriageReturn:
            return endLine()
        case Self.lineFeed:
            return previousWasCR ? nil : endLine()
        case Self.backspace, Self.delete:
            if !overflowed, !buffer.isEmpty { buffer.removeLast() }
            return nil
        case 0x00, Self.ctrlZ, Self.escape:
            // A stray Ctrl-Z or ESC after a data phase, or a NUL of line noise, is not part of a command.
            return nil
        default:
            if overflowed { return nil }
            if buffer.count >= maximumLineLength {
                overflowed = true
                buffer.removeAll(keepingCapacity: true)
            } else {
                buffer.append(byte)
            }
            return nil
        }
    }

    private mutating func endLine() -> Frame? {
        if overflowed {
            overflowed = false
            return .lineTooLong
        }
        guard !buffer.isEmpty else { return nil }
        frameReady = true
        return .line
    }
}
