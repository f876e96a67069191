import FuzzSupport
import ModemProtocol

/// The host side of the serial line, framed and parsed as the modem does it: `SerialLineReader`
/// in every phase, and `ATCommandParser` on each line it frames and on raw bytes.
///
/// First byte: bit 0 picks the mode. Parser mode parses the rest as one command line. Reader mode
/// reads operations: feed a run of bytes, start a Ctrl-Z or fixed-length data phase, cancel it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let mode = input.byte()
    if mode & 1 == 0 {
        parse(input.rest())
        return 0
    }
    let maximumLineLength = mode & 2 == 0 ? 556 : Int(mode >> 2) + 1
    var reader = SerialLineReader(maximumLineLength: maximumLineLength)
    while !input.isEmpty {
        switch input.byte() % 8 {
        case 0:
            reader.beginData(.dataUntilCtrlZ(maximum: input.int(0...2000)))
        case 1:
            reader.beginData(.dataFixed(length: input.int(-2...1500)))
        case 2:
            reader.cancelData()
        default:
            var bytes = input.run()[...]
            while !bytes.isEmpty {
                let before = bytes.count
                let phase = reader.phase
                let frame = reader.nextFrame(&bytes)
                fuzzCheck(bytes.count < before, "read consumed nothing in \(phase)")
                guard let frame else {
                    fuzzCheck(bytes.isEmpty, "no frame but input left")
                    continue
                }
                check(frame, reader.frameBytes, phase: phase, maximumLineLength: maximumLineLength)
            }
            _ = reader.hasPartialLine
        }
    }
    return 0
}

func check(_ frame: SerialLineReader.Frame, _ bytes: [UInt8], phase: SerialLineReader.Phase, maximumLineLength: Int) {
    switch (phase, frame) {
    case (.command, .line):
        let line = bytes
        fuzzCheck(!line.isEmpty && line.count <= maximumLineLength, "line of \(line.count) bytes")
        fuzzCheck(!line.contains { [0x0D, 0x0A, 0x08, 0x7F, 0x00, 0x1A, 0x1B].contains($0) }, "control byte in line")
        parse(line)
    case (.command, .lineTooLong):
        break
    case (.dataUntilCtrlZ(let maximum), .data):
        let data = bytes
        fuzzCheck(data.count <= maximum, "\(data.count) bytes of data over \(maximum)")
    case (.dataUntilCtrlZ, .dataCancelled):
        break
    case (.dataFixed(let length), .data):
        let data = bytes
        fuzzCheck(data.count == length, "\(data.count) bytes of fixed data, not \(length)")
    default:
        fuzzCheck(false, "\(frame) in \(phase)")
    }
}

/// Both entry points of the parser must agree, and what they accept must make sense.
func parse(_ line: [UInt8]) {
    let viaCollection = Result { () throws(ATSyntaxError) in try ATCommandParser.parse(line) }
    var reused: [ATCommand] = []
    let viaBuffer = line.withUnsafeBufferPointer { buffer in
        Result { () throws(ATSyntaxError) in try ATCommandParser.parse(buffer, into: &reused) }
    }
    switch (viaCollection, viaBuffer) {
    case (.success(let commands), .success):
        fuzzCheck(commands == reused, "the two parse entry points disagree")
        for command in commands {
            fuzzCheck(!command.name.isEmpty, "command without a name")
            for argument in command.arguments {
                _ = argument.integer
                _ = argument.lenientInteger
                _ = argument.text
            }
        }
    case (.failure(let one), .failure(let other)):
        fuzzCheck(one == other, "the two parse entry points give different errors")
    default:
        fuzzCheck(false, "one parse entry point accepts what the other rejects")
    }
}
