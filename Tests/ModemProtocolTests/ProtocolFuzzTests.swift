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

    // MARK: ATCommandParser

    @Test("random lines: the parser returns commands or the right kind of error")
    func parserRandomBytes() {
        var random = SplitMix64(seed: 0x9A45_E401)
        var parsed = 0
        for _ in 0..<Self.cases {
            var line = random.bytes(count: random.int(0...Self.maximumInputLength))
            if random.int(0...1) == 0 { line = [0x41, 0x54] + line.filter { $0 != 0x0D && $0 != 0x0A } }
            let startsWithAT: Bool = {
                let rest = line.drop { $0 == 0x20 }
                return rest.count >= 2 && (rest.first! | 0x20) == 0x61 && (rest.dropFirst().first! | 0x20) == 0x74
            }()
            do throws(ATSyntaxError) {
                let commands = try ATCommandParser.parse(line)
                parsed += 1
                #expect(startsWithAT)
                for command in commands {
                    #expect(!command.name.isEmpty)
                    #expect(command.name == command.name.uppercased())
                }
            } catch {
                switch error {
                case .missingPrefix:
                    #expect(!startsWithAT)
                case .unexpectedCharacter(let offset):
                    #expect(startsWithAT)
                    #expect(offset >= 2 && offset <= line.count)
                    if offset < line.count { #expect((0x20...0x7E).contains(line[offset]), "\(line)") }
                case .invalidByte(let offset):
                    #expect(startsWithAT)
                    #expect(offset >= 2 && offset < line.count)
                    if offset < line.count { #expect(!(0x20...0x7E).contains(line[offset]), "\(line)") }
                case .unterminatedString:
                    #expect(startsWithAT)
                    #expect(line.contains(0x22))
                }
            }
        }
        #expect(parsed > 0)
    }

    /// A random well-formed command line and the commands it must parse to.
    static func randomCommandLine(_ random: inout SplitMix64) -> (line: String, commands: [ATCommand]) {
        func mixedCase(_ text: String, _ random: inout SplitMix64) -> String {
            String(text.map { random.int(0...1) == 0 ? Character($0.lowercased()) : $0 })
        }
        func spaces(_ random: inout SplitMix64) -> String { random.int(0...3) == 0 ? " " : "" }
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        let tokenCharacters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.")
        let stringCharacters = Array("abc XYZ 019,;.:!?=+&*-_/()<>[]'")
        var line = mixedCase("AT", &random) + spaces(&random)
        var commands: [ATCommand] = []
        for _ in 0..<random.int(0...5) {
            switch random.int(0...3) {
            case 0:
                let letter = [Character]("EVQXZIHLMT")[random.int(0...9)]
                if random.int(0...1) == 0 {
                    let value = random.int(0...999)
                    line += mixedCase(String(letter), &random) + String(value)
                    commands.append(ATCommand(name: String(letter), value: value))
                } else {
                    line += mixedCase(String(letter), &random)
                    commands.append(ATCommand(name: String(letter)))
                }
            case 1:
                let name = "&" + String([Character]("WFVCD")[random.int(0...4)])
                line += mixedCase(name, &random)
                commands.append(ATCommand(name: name))
            case 2:
                let register = random.int(0...99)
                let value = random.int(0...255)
                line += mixedCase("S", &random) + "\(register)" + spaces(&random) + "=" + spaces(&random) + "\(value)"
                commands.append(ATCommand(name: "S\(register)", form: .write([.token("\(value)")]), value: value))
            default:
                let name =
                    "+" + String(letters[random.int(0...25)])
                    + String((0..<random.int(1...8)).map { _ in (letters + Array("0123456789"))[random.int(0...35)] })
                line += mixedCase(name, &random) + spaces(&random)
                switch random.int(0...3) {
                case 0:
                    commands.append(ATCommand(name: name))
                case 1:
                    line += "?"
                    commands.append(ATCommand(name: name, form: .read))
                case 2:
                    line += "=" + spaces(&random) + "?"
                    commands.append(ATCommand(name: name, form: .test))
                default:
                    var arguments: [ATArgument] = []
                    var rendered: [String] = []
                    for _ in 0..<random.int(1...5) {
                        switch random.int(0...2) {
                        case 0:
                            arguments.append(.empty)
                            rendered.append(spaces(&random))
                        case 1:
                            let text = String(
                                (0..<random.int(0...12)).map { _ in stringCharacters.randomElement(using: &random)! })
                            arguments.append(.string(text))
                            rendered.append(spaces(&random) + "\"" + text + "\"" + spaces(&random))
                        default:
                            let text = String(
                                (0..<random.int(1...8)).map { _ in tokenCharacters.randomElement(using: &random)! })
                            arguments.append(.token(text))
                            rendered.append(spaces(&random) + text + spaces(&random))
                        }
                    }
                    line += "=" + rendered.joined(separator: ",")
                    commands.append(ATCommand(name: name, form: .write(arguments)))
                }
                line += spaces(&random) + ";" + spaces(&random)
            }
        }
        return (line, commands)
    }

    @Test("random well-formed command lines parse to the commands they were built from")
    func parserWellFormedLines() throws {
        var random = SplitMix64(seed: 0x600D_11E5)
        for _ in 0..<Self.cases {
            let (line, commands) = Self.randomCommandLine(&random)
            #expect(try ATCommandParser.parse(line) == commands, "\(line)")
        }
    }

    // MARK: CIPSTATUSDecoder

    /// What a decode may do with any input: give a value or one of its errors, and each error names
    /// something that is really in the input. Returns whether `decodeStatus` gave a value.
    @discardableResult
    static func checkDecoding(_ reply: String) -> Bool {
        var decoded = false
        do throws(CIPSTATUSDecodingError) {
            _ = try CIPSTATUSDecoder.decodeStatus(reply)
            #expect(reply.uppercased().contains("STATE:"))
            decoded = true
        } catch {
            switch error {
            case .missingStateLine: break
            case .missingLinkLine: Issue.record("decodeStatus threw missingLinkLine")
            case .malformedLink(let line), .malformedServer(let line): #expect(reply.contains(line))
            }
        }
        do throws(CIPSTATUSDecodingError) {
            _ = try CIPSTATUSDecoder.decodeLink(reply)
        } catch {
            switch error {
            case .missingStateLine: Issue.record("decodeLink threw missingStateLine")
            case .missingLinkLine: break
            case .malformedLink(let line), .malformedServer(let line): #expect(reply.contains(line))
            }
        }
        return decoded
    }

    @Test("random bytes, with valid status lines spliced in: the decoder returns a status or throws")
    func decoderRandomBytes() {
        var random = SplitMix64(seed: 0xDEC0_DE01)
        let validLines = [
            "\r\nSTATE: IP PROCESSING\r\n", "\r\nC: 1,,\"\",\"\",\"\",\"INITIAL\"\r\n", "\r\nSTATE: IP INITIAL\r\n",
            "\r\n+CIPSTATUS: 0,0,\"TCP\",\"5.196.95.208\",\"1883\",\"CONNECTED\"\r\n",
            "\r\nS: 0,0,\"4010\",\"LISTENING\"\r\n",
        ].map { Array($0.utf8) }
        var decoded = 0
        for _ in 0..<Self.cases {
            var bytes = random.bytes(count: random.int(0...Self.maximumInputLength))
            if random.int(0...1) == 0 {
                for _ in 0..<random.int(1...3) {
                    bytes.insert(
                        contentsOf: validLines[random.int(0...validLines.count - 1)], at: random.int(0...bytes.count))
                }
            }
            if Self.checkDecoding(String(decoding: bytes, as: UTF8.self)) { decoded += 1 }
        }
        #expect(decoded > 0 && decoded < Self.cases)
    }

    @Test("random mutations of valid replies decode or throw, never crash")
    func decoderMutatedReplies() {
        var random = SplitMix64(seed: 0x3017_A7E5)
        var generator = StatusGenerator(random: SplitMix64(seed: 0x3017_A7E6))
        let pieces: [[UInt8]] = [
            [0x22], [0x2C], [0x0D], [0x0A], [0x0D, 0x0A], [0x20], Array("C: ".utf8), Array("S: ".utf8),
            Array("STATE: ".utf8), Array("+CIPSTATUS: ".utf8), [0xFF], [0xC3], Array("é".utf8),
        ]
        var decoded = 0
        for index in 0..<Self.cases {
            let dialect: StatusDialect = index % 2 == 0 ? .sim800 : .spec
            let encoder = CIPSTATUSEncoder(dialect: dialect)
            let lines =
                random.int(0...3) == 0
                ? [encoder.linkLine(generator.link())] : encoder.executeLines(generator.status())
            var bytes = Array(("\r\nOK\r\n" + lines.map { "\r\n\($0)\r\n" }.joined()).utf8)
            for _ in 0..<random.int(1...6) {
                guard !bytes.isEmpty else { break }
                let position = random.int(0...bytes.count - 1)
                switch random.int(0...5) {
                case 0: bytes[position] = random.bytes(count: 1)[0]
                case 1: bytes.remove(at: position)
                case 2: bytes.insert(contentsOf: pieces[random.int(0...pieces.count - 1)], at: position)
                case 3:
                    let end = min(bytes.count, position + random.int(1...40))
                    bytes.insert(contentsOf: bytes[position..<end], at: random.int(0...bytes.count))
                case 4: bytes.removeSubrange(position...)
                default:
                    let end = min(bytes.count, position + random.int(1...20))
                    bytes.removeSubrange(position..<end)
                }
            }
            if Self.checkDecoding(String(decoding: bytes, as: UTF8.self)) { decoded += 1 }
        }
        #expect(decoded > Self.cases / 10 && decoded < Self.cases)
    }

    @Test("random lines of comma-separated fields: decoded exactly when well-formed, else a line error")
    func decoderRandomFieldLines() {
        var random = SplitMix64(seed: 0xF1E1_D5)
        let loneQuote = "\""
        let fieldPieces = [
            "", "0", "1", "7", "\"TCP\"", "UDP", "\"\"", "\" CLOSED \"", "1.2.3.4", "\"80\"", "x", loneQuote,
        ]
        let numbers: Set<String> = ["0", "1", "7", "\"80\""]
        let prefixes = ["C: ", "C:", "S: ", "+CIPSTATUS: ", "", "c: ", "STATE: "]
        var links = 0
        for _ in 0..<Self.cases {
            let withQuote = random.int(0...1) == 0
            let pieces = (0..<random.int(0...9)).map { _ in
                fieldPieces[random.int(0...fieldPieces.count - (withQuote ? 1 : 2))]
            }
            let prefix = prefixes[random.int(0...prefixes.count - 1)]
            let line = prefix + pieces.joined(separator: random.int(0...1) == 0 ? "," : ", ")
            let result: Result<CIPSTATUSDecoder.Line?, CIPSTATUSDecodingError>
            do throws(CIPSTATUSDecodingError) {
                result = .success(try CIPSTATUSDecoder.decodeLine(line))
            } catch {
                result = .failure(error)
                switch error {
                case .malformedLink(let bad), .malformedServer(let bad): #expect(bad == line)
                case .missingStateLine, .missingLinkLine: Issue.record("decodeLine threw \(error) for \(line)")
                }
            }
            if case .success(.link?) = result { links += 1 }
            guard !pieces.contains(loneQuote) else { continue }
            // Without a lone quote every piece is one field, so what must happen is known.
            let sixWithNumber = pieces.count == 6 && numbers.contains(pieces[0])
            switch prefix {
            case "STATE: ":
                guard case .success(.state?) = result else {
                    Issue.record("\(line): \(result)")
                    continue
                }
            case "S: ":
                let serverOK =
                    pieces.count >= 4 && (numbers.contains(pieces[1]) || ["", "\"\""].contains(pieces[1]))
                    && numbers.contains(pieces[2])
                if serverOK {
                    guard case .success(.server?) = result else {
                        Issue.record("\(line): \(result)")
                        continue
                    }
                } else {
                    #expect(result == .failure(.malformedServer(line)))
                }
            case "":
                let startsWithDigit = pieces.first.map { ["0", "1", "7", "1.2.3.4"].contains($0) } ?? false
                if startsWithDigit, pieces.count == 6 {
                    if sixWithNumber {
                        guard case .success(.link?) = result else {
                            Issue.record("\(line): \(result)")
                            continue
                        }
                    } else {
                        #expect(result == .failure(.malformedLink(line)))
                    }
                } else {
                    #expect(result == .success(nil))
                }
            default:
                if sixWithNumber {
                    guard case .success(.link?) = result else {
                        Issue.record("\(line): \(result)")
                        continue
                    }
                } else {
                    #expect(result == .failure(.malformedLink(line)))
                }
            }
        }
        #expect(links > 0)
    }
}
