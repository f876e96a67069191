import ModemProtocol
import TestSupport
import Testing

extension ProtocolFuzzTests {
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

}
