import ModemProtocol
import TestSupport
import Testing

extension SplitMix64 {
    /// Random bytes, a third of them from the bytes the protocol gives meaning to.
    mutating func bytes(count: Int) -> [UInt8] {
        let special: [UInt8] = [
            0x0D, 0x0A, 0x08, 0x7F, 0x00, 0x1A, 0x1B, 0x22, 0x2C, 0x3B, 0x3F, 0x3D, 0x2B, 0x41, 0x54, 0x20, 0x3A,
            0x43, 0x53,
        ]
        return (0..<count).map { _ in
            int(0...2) == 0 ? special[int(0...special.count - 1)] : UInt8(truncatingIfNeeded: next())
        }
    }
}

@Suite("Property and fuzz tests")
struct ProtocolFuzzTests {
    static let cases = 2000
    static let maximumInputLength = 2048

    @Test("SplitMix64 gives the reference sequence for seed 0")
    func splitMixReference() {
        var random = SplitMix64(seed: 0)
        #expect(random.next() == 0xE220_A839_7B1D_CDAF)
        #expect(random.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(random.next() == 0x06C4_5D18_8009_454F)
    }

    // MARK: SerialLineReader

    /// Command mode as ITU-T V.250 §5.2 and the reader's documentation describe it, written out
    /// independently of the reader: the oracle for the command-mode fuzz test.
    static func commandModeModel(_ bytes: [UInt8], maximumLineLength: Int) -> [SerialLineReader.Event] {
        var events: [SerialLineReader.Event] = []
        var line: [UInt8] = []
        var tooLong = false
        var afterCR = false
        func endLine() {
            if tooLong {
                events.append(.lineTooLong)
            } else if !line.isEmpty {
                events.append(.line(line))
            }
            line = []
            tooLong = false
        }
        for byte in bytes {
            switch byte {
            case 0x0D: endLine()
            case 0x0A: if !afterCR { endLine() }
            case 0x08, 0x7F: if !tooLong, !line.isEmpty { line.removeLast() }
            case 0x00, 0x1A, 0x1B: break
            default:
                if tooLong {
                    break
                } else if line.count == maximumLineLength {
                    tooLong = true
                    line = []
                } else {
                    line.append(byte)
                }
            }
            afterCR = byte == 0x0D
        }
        return events
    }

    @Test("command mode: random bytes in random pieces give the events of the model")
    func readerCommandModeMatchesModel() {
        var random = SplitMix64(seed: 0x0EAD_E401)
        for _ in 0..<Self.cases {
            let maximum = random.int(0...3) == 0 ? 556 : random.int(1...40)
            let bytes = random.bytes(count: random.int(0...Self.maximumInputLength))
            var reader = SerialLineReader(maximumLineLength: maximum)
            var events: [SerialLineReader.Event] = []
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + random.int(1...64))
                var input = bytes[offset..<end]
                while !input.isEmpty {
                    let before = input.count
                    if let event = reader.read(&input) { events.append(event) }
                    guard input.count < before else {
                        Issue.record("read consumed nothing: \(bytes)")
                        return
                    }
                }
                offset = end
            }
            #expect(events == Self.commandModeModel(bytes, maximumLineLength: maximum), "\(bytes)")
        }
    }

    @Test("a line is kept up to maximumLineLength bytes; beyond that it is lineTooLong and the next line works")
    func readerNeverHoldsMoreThanTheMaximum() {
        var random = SplitMix64(seed: 0x1E46_7400)
        for _ in 0..<Self.cases {
            let maximum = random.int(2...600)
            let length = random.int(1...(2 * maximum))
            let line = (0..<length).map { _ in UInt8(random.int(0x21...0x7E)) }
            var reader = SerialLineReader(maximumLineLength: maximum)
            var input = (line + [0x0D] + Array("AT\r".utf8))[...]
            var events: [SerialLineReader.Event] = []
            while !input.isEmpty {
                let chunkLength = min(input.count, random.int(1...700))
                var chunk = input.prefix(chunkLength)
                input = input.dropFirst(chunkLength)
                while !chunk.isEmpty {
                    if let event = reader.read(&chunk) { events.append(event) }
                }
            }
            let expectedFirst: SerialLineReader.Event = length <= maximum ? .line(line) : .lineTooLong
            #expect(events == [expectedFirst, .line([0x41, 0x54])], "maximum \(maximum), length \(length)")
        }
    }

    @Test("all phases: random bytes with random data phases never crash, hang or break a frame's promise")
    func readerAllPhases() {
        var random = SplitMix64(seed: 0xA11_9A5E)
        var dataEvents = 0
        var cancelled = 0
        for _ in 0..<Self.cases {
            let maximum = random.int(1...80)
            let bytes = random.bytes(count: random.int(0...Self.maximumInputLength))
            var reader = SerialLineReader(maximumLineLength: maximum)
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + random.int(1...128))
                var input = bytes[offset..<end]
                if random.int(0...19) == 0 { reader.cancelData() }
                while !input.isEmpty {
                    let before = input.count
                    let phase = reader.phase
                    let event = reader.read(&input)
                    guard input.count < before else {
                        Issue.record("read consumed nothing in \(phase)")
                        return
                    }
                    guard let event else {
                        #expect(input.isEmpty)
                        continue
                    }
                    switch (phase, event) {
                    case (.command, .line(let line)):
                        #expect(!line.isEmpty && line.count <= maximum)
                        #expect(!line.contains { [0x0D, 0x0A, 0x08, 0x7F, 0x00, 0x1A, 0x1B].contains($0) })
                        if random.int(0...2) == 0 {
                            reader.beginData(
                                random.int(0...1) == 0
                                    ? .dataUntilCtrlZ(maximum: random.int(0...300))
                                    : .dataFixed(length: random.int(-1...300)))
                        }
                    case (.command, .lineTooLong):
                        break
                    case (.dataUntilCtrlZ(let limit), .data(let data)):
                        #expect(data.count <= limit)
                        #expect(!data.contains(0x1A) && !data.contains(0x1B))
                        dataEvents += 1
                    case (.dataUntilCtrlZ, .dataCancelled):
                        cancelled += 1
                    case (.dataFixed(let length), .data(let data)):
                        #expect(data.count == length)
                        dataEvents += 1
                    default:
                        Issue.record("\(event) in \(phase)")
                    }
                    if case .data = event { #expect(reader.phase == .command) }
                    if event == .dataCancelled { #expect(reader.phase == .command) }
                }
                offset = end
            }
        }
        #expect(dataEvents > 100)
        #expect(cancelled > 100)
    }

}
