import ModemProtocol
import Testing

@Suite("ATCommandParser")
struct ATCommandParserTests {
    // MARK: The prefix

    @Test("AT alone is an empty command list, in either case", arguments: ["AT", "at", "At", "aT", "  AT", "AT  "])
    func bareAT(line: String) throws {
        #expect(try ATCommandParser.parse(line) == [])
    }

    @Test(
        "a line that does not start with AT is rejected",
        arguments: ["", "A", "T", "+CSQ", "XAT", "E0", "A T", "\u{01}AT"])
    func missingPrefix(line: String) {
        #expect(throws: ATSyntaxError.missingPrefix) { try ATCommandParser.parse(line) }
    }

    @Test("bytes and String give the same result")
    func byteInput() throws {
        #expect(try ATCommandParser.parse(ascii("AT+CSQ")) == [ATCommand(name: "+CSQ", form: .execute)])
        #expect(try ATCommandParser.parse(ascii("ATE0")[...]) == [ATCommand(name: "E", value: 0)])
    }

    // MARK: Basic commands

    @Test("basic commands")
    func basicCommands() throws {
        #expect(try ATCommandParser.parse("ATE0") == [ATCommand(name: "E", form: .execute, value: 0)])
        #expect(try ATCommandParser.parse("ATV1") == [ATCommand(name: "V", form: .execute, value: 1)])
        #expect(try ATCommandParser.parse("AT&W") == [ATCommand(name: "&W", form: .execute, value: nil)])
        #expect(try ATCommandParser.parse("AT&F0") == [ATCommand(name: "&F", form: .execute, value: 0)])
        #expect(try ATCommandParser.parse("ATI") == [ATCommand(name: "I", form: .execute, value: nil)])
        #expect(try ATCommandParser.parse("ATZ") == [ATCommand(name: "Z", form: .execute, value: nil)])
        #expect(try ATCommandParser.parse("ATE") == [ATCommand(name: "E", form: .execute, value: nil)])
        #expect(try ATCommandParser.parse("ATE?") == [ATCommand(name: "E", form: .read)])
        #expect(try ATCommandParser.parse("ATE=?") == [ATCommand(name: "E", form: .test)])
        #expect(try ATCommandParser.parse("ATE=1") == [ATCommand(name: "E", form: .write([.token("1")]), value: 1)])
    }

    @Test("S-parameters: set, read, test, execute")
    func sParameters() throws {
        #expect(try ATCommandParser.parse("ATS0=1") == [ATCommand(name: "S0", form: .write([.token("1")]), value: 1)])
        #expect(try ATCommandParser.parse("ATS3?") == [ATCommand(name: "S3", form: .read)])
        #expect(try ATCommandParser.parse("ATS3=?") == [ATCommand(name: "S3", form: .test)])
        #expect(try ATCommandParser.parse("ATS7") == [ATCommand(name: "S7", form: .execute)])
        #expect(
            try ATCommandParser.parse("ATS12=255") == [
                ATCommand(name: "S12", form: .write([.token("255")]), value: 255)
            ])
        #expect(try ATCommandParser.parse("ATS0 = 2") == [ATCommand(name: "S0", form: .write([.token("2")]), value: 2)])
    }

    @Test("basic command names are upper-cased")
    func basicLowerCase() throws {
        #expect(try ATCommandParser.parse("ate0") == [ATCommand(name: "E", value: 0)])
        #expect(try ATCommandParser.parse("at&w") == [ATCommand(name: "&W")])
        #expect(try ATCommandParser.parse("ats0=1") == [ATCommand(name: "S0", form: .write([.token("1")]), value: 1)])
    }

    @Test("concatenated basic commands")
    func concatenatedBasic() throws {
        #expect(
            try ATCommandParser.parse("ATE0V1") == [ATCommand(name: "E", value: 0), ATCommand(name: "V", value: 1)])
        #expect(
            try ATCommandParser.parse("ATE0V1&W")
                == [ATCommand(name: "E", value: 0), ATCommand(name: "V", value: 1), ATCommand(name: "&W")])
        #expect(
            try ATCommandParser.parse("ATS3?E0")
                == [ATCommand(name: "S3", form: .read), ATCommand(name: "E", value: 0)])
        #expect(
            try ATCommandParser.parse("ATZI") == [ATCommand(name: "Z"), ATCommand(name: "I")])
    }

    @Test("D takes the rest of the line as its dial string")
    func dial() throws {
        #expect(
            try ATCommandParser.parse("ATD+4912345;") == [ATCommand(name: "D", form: .write([.token("+4912345;")]))])
        #expect(
            try ATCommandParser.parse("ATE0D*99#") == [
                ATCommand(name: "E", value: 0), ATCommand(name: "D", form: .write([.token("*99#")])),
            ])
    }

    // MARK: Extended commands

    @Test("the four forms of an extended command")
    func extendedForms() throws {
        #expect(try ATCommandParser.parse("AT+CIPSTATUS") == [ATCommand(name: "+CIPSTATUS", form: .execute)])
        #expect(try ATCommandParser.parse("AT+CIPMUX?") == [ATCommand(name: "+CIPMUX", form: .read)])
        #expect(try ATCommandParser.parse("AT+CIPSTATUS=?") == [ATCommand(name: "+CIPSTATUS", form: .test)])
        #expect(
            try ATCommandParser.parse("AT+CIPSTATUS=0") == [ATCommand(name: "+CIPSTATUS", form: .write([.token("0")]))])
    }

    @Test("extended names are case-insensitive and come back upper-cased")
    func extendedCaseInsensitive() throws {
        #expect(try ATCommandParser.parse("at+cipstatus") == [ATCommand(name: "+CIPSTATUS")])
        #expect(try ATCommandParser.parse("At+CipMux?") == [ATCommand(name: "+CIPMUX", form: .read)])
        #expect(try ATCommandParser.parse("AT+cgdcont=?") == [ATCommand(name: "+CGDCONT", form: .test)])
    }

    @Test("vendor prefixes and digits or underscores in names")
    func extendedNames() throws {
        #expect(try ATCommandParser.parse("AT*PSSTK?") == [ATCommand(name: "*PSSTK", form: .read)])
        #expect(try ATCommandParser.parse("AT^SYSINFO") == [ATCommand(name: "^SYSINFO")])
        #expect(try ATCommandParser.parse("AT+CGNSPWR=1") == [ATCommand(name: "+CGNSPWR", form: .write([.token("1")]))])
        #expect(try ATCommandParser.parse("AT+X_Y2?") == [ATCommand(name: "+X_Y2", form: .read)])
    }

    @Test("arguments: quoted strings keep their case, tokens stay text")
    func arguments() throws {
        let commands = try ATCommandParser.parse(#"AT+CIPSTART=0,"TCP","test.Mosquitto.org",1883"#)
        #expect(
            commands == [
                ATCommand(
                    name: "+CIPSTART",
                    form: .write([.token("0"), .string("TCP"), .string("test.Mosquitto.org"), .token("1883")]))
            ])
        #expect(commands.first?.arguments.map(\.text) == ["0", "TCP", "test.Mosquitto.org", "1883"])
        #expect(commands.first?.arguments.map(\.integer) == [0, nil, nil, 1883])
        #expect(commands.first?.arguments.map(\.lenientInteger) == [0, nil, nil, 1883])
    }

    @Test("commas and semicolons inside quotes are text")
    func quotedSeparators() throws {
        #expect(
            try ATCommandParser.parse(#"AT+CSTT="a,b;c","",";";E1"#)
                == [
                    ATCommand(name: "+CSTT", form: .write([.string("a,b;c"), .string(""), .string(";")])),
                    ATCommand(name: "E", value: 1),
                ])
    }

    @Test("bytes inside quotes are kept as they are, spaces and control bytes included")
    func quotedBytes() throws {
        #expect(
            try ATCommandParser.parse("AT+X=\" a b \",\"\u{01}\"")
                == [ATCommand(name: "+X", form: .write([.string(" a b "), .string("\u{01}")]))])
    }

    @Test("empty arguments")
    func emptyArguments() throws {
        #expect(
            try ATCommandParser.parse("AT+X=1,,3") == [
                ATCommand(name: "+X", form: .write([.token("1"), .empty, .token("3")]))
            ])
        #expect(try ATCommandParser.parse("AT+X=,") == [ATCommand(name: "+X", form: .write([.empty, .empty]))])
        #expect(try ATCommandParser.parse("AT+X=") == [ATCommand(name: "+X", form: .write([.empty]))])
        #expect(try ATCommandParser.parse("AT+X=1,") == [ATCommand(name: "+X", form: .write([.token("1"), .empty]))])
        #expect(ATArgument.empty.text == nil)
        #expect(ATArgument.empty.integer == nil)
    }

    @Test("spaces outside quotes are ignored")
    func spaces() throws {
        #expect(
            try ATCommandParser.parse(" AT+CSQ ") == [ATCommand(name: "+CSQ")])
        #expect(
            try ATCommandParser.parse(#"AT +CIPSTART = "TCP" , "host" , 80 "#)
                == [ATCommand(name: "+CIPSTART", form: .write([.string("TCP"), .string("host"), .token("80")]))])
        #expect(try ATCommandParser.parse("AT+CSQ ?") == [ATCommand(name: "+CSQ", form: .read)])
        #expect(try ATCommandParser.parse("AT+CSQ = ?") == [ATCommand(name: "+CSQ", form: .test)])
        #expect(
            try ATCommandParser.parse("AT E0 V1") == [ATCommand(name: "E", value: 0), ATCommand(name: "V", value: 1)])
        #expect(try ATCommandParser.parse("AT+X=1 2") == [ATCommand(name: "+X", form: .write([.token("12")]))])
    }

    // MARK: Chains

    @Test("; chains extended and basic commands")
    func chains() throws {
        #expect(
            try ATCommandParser.parse("AT+CIFSR;E0") == [ATCommand(name: "+CIFSR"), ATCommand(name: "E", value: 0)])
        #expect(
            try ATCommandParser.parse("AT+CSQ;+CREG?") == [
                ATCommand(name: "+CSQ"), ATCommand(name: "+CREG", form: .read),
            ])
        #expect(
            try ATCommandParser.parse("AT+CIPMUX=1;+CIPSTATUS=?;&W")
                == [
                    ATCommand(name: "+CIPMUX", form: .write([.token("1")])),
                    ATCommand(name: "+CIPSTATUS", form: .test),
                    ATCommand(name: "&W"),
                ])
        #expect(
            try ATCommandParser.parse("AT+CSQ ; +CREG? ;") == [
                ATCommand(name: "+CSQ"), ATCommand(name: "+CREG", form: .read),
            ])
        #expect(try ATCommandParser.parse("AT;;") == [])
    }

    @Test("an extended command right after a basic one needs no ;")
    func basicThenExtended() throws {
        #expect(try ATCommandParser.parse("ATE0+CSQ") == [ATCommand(name: "E", value: 0), ATCommand(name: "+CSQ")])
    }

    @Test("isExtended and arguments of non-write forms")
    func commandAccessors() throws {
        let commands = try ATCommandParser.parse("AT+CSQ?;E0")
        #expect(commands.map(\.isExtended) == [true, false])
        #expect(commands.map(\.arguments) == [[], []])
    }

    @Test("lenientInteger reads quoted ports; integer only unquoted ones")
    func argumentIntegers() {
        #expect(ATArgument.string("1883").lenientInteger == 1883)
        #expect(ATArgument.string("1883").integer == nil)
        #expect(ATArgument.token("18a3").integer == nil)
        #expect(ATArgument.token("-1").integer == nil)
        #expect(ATArgument.token("1234567890").integer == nil)
        #expect(ATArgument.token("123456789").integer == 123_456_789)
    }

    // MARK: Errors

    @Test("an unterminated string")
    func unterminatedString() {
        #expect(throws: ATSyntaxError.unterminatedString) { try ATCommandParser.parse(#"AT+CSTT="CMNET"#) }
        #expect(throws: ATSyntaxError.unterminatedString) { try ATCommandParser.parse(#"AT+X=1,""#) }
    }

    @Test("junk after ? or =?")
    func junkAfterQuery() {
        #expect(throws: ATSyntaxError.unexpectedCharacter(offset: 7)) { try ATCommandParser.parse("AT+CSQ?x") }
        #expect(throws: ATSyntaxError.unexpectedCharacter(offset: 8)) { try ATCommandParser.parse("AT+CSQ=?1") }
        #expect(throws: ATSyntaxError.unexpectedCharacter(offset: 9)) { try ATCommandParser.parse("AT+CSQ ? ,") }
    }

    @Test(
        "misplaced characters",
        arguments: [
            ("AT+", 3), ("AT+=1", 3), ("AT+CSQ!", 6), ("AT!", 2), ("AT&", 3), ("AT&1", 3), ("ATS", 3), ("ATS=1", 3),
            ("ATS1234=1", 7), ("ATS0=", 5), ("ATS0=x", 5), ("ATE1234567", 9), (#"AT+X="a"b"#, 8), (#"AT+X=a"b""#, 6),
            (#"AT""#, 2), ("ATE=", 4),
        ])
    func unexpectedCharacter(line: String, offset: Int) {
        #expect(throws: ATSyntaxError.unexpectedCharacter(offset: offset)) { try ATCommandParser.parse(line) }
    }

    @Test(
        "control and non-ASCII bytes outside quotes",
        arguments: [
            ([0x41, 0x54, 0x01], 2),
            ([0x41, 0x54, 0x45, 0x30, 0x09], 4),
            ([0x41, 0x54, 0x2B, 0x58, 0x3D, 0x31, 0x7F], 6),
            ([0x41, 0x54, 0x2B, 0x58, 0x3D, 0x0D], 5),
            ([0x41, 0x54, 0xC3, 0xA9], 2),
            ([0x41, 0x54, 0x2B, 0x43, 0x53, 0x51, 0x01], 6),
            ([0x41, 0x54, 0x2B, 0x43, 0x53, 0x51, 0x20, 0x80], 7),
            ([0x41, 0x54, 0x2B, 0x43, 0x53, 0x51, 0x3F, 0x1B], 7),
            ([0x41, 0x54, 0x2B, 0x01], 3),
            ([0x41, 0x54, 0x2B, 0x58, 0x3D, 0x22, 0x61, 0x22, 0x02], 8),
            ([0x41, 0x54, 0x26, 0x04], 3),
        ] as [([UInt8], Int)])
    func invalidByte(line: [UInt8], offset: Int) {
        #expect(throws: ATSyntaxError.invalidByte(offset: offset)) { try ATCommandParser.parse(line) }
    }
}
