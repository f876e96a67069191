import ModemProtocol
import TestSupport
import Testing

extension ProtocolFuzzTests {
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
                // The first number (the server's index) must be one too, or empty.
                let serverOK =
                    pieces.count >= 4 && (numbers.contains(pieces[0]) || ["", "\"\""].contains(pieces[0]))
                    && (numbers.contains(pieces[1]) || ["", "\"\""].contains(pieces[1]))
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
            case "+CIPSTATUS: " where pieces.joined().isEmpty:
                // `+CIPSTATUS:` alone heads the A6/A7 layout.
                #expect(result == .success(nil))
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
