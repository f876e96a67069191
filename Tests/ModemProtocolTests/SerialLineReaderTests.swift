import ModemProtocol
import Testing

/// The bytes of an ASCII string literal.
func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

extension SerialLineReader {
    /// A frame with its bytes, for comparisons in tests.
    enum Event: Equatable {
        case line([UInt8])
        case lineTooLong
        case data([UInt8])
        case dataCancelled
    }

    /// ``nextFrame(_:)`` with the frame's bytes copied out.
    mutating func read(_ input: inout ArraySlice<UInt8>) -> Event? {
        switch nextFrame(&input) {
        case .line: .line(frameBytes)
        case .lineTooLong: .lineTooLong
        case .data: .data(frameBytes)
        case .dataCancelled: .dataCancelled
        case nil: nil
        }
    }

    /// Feeds all of `bytes` in one read call after another, without starting a data phase, and
    /// returns every event.
    mutating func events(_ bytes: [UInt8]) -> [Event] {
        var input = bytes[...]
        var events: [Event] = []
        while !input.isEmpty {
            if let event = read(&input) { events.append(event) }
        }
        return events
    }

    /// Feeds `bytes` in one read call and returns the event and what is left of the input.
    mutating func readOnce(_ bytes: [UInt8]) -> (event: Event?, rest: [UInt8]) {
        var input = bytes[...]
        let event = read(&input)
        return (event, Array(input))
    }
}

@Suite("SerialLineReader: command mode")
struct SerialLineReaderCommandTests {
    @Test("CR ends a line; the terminator is not part of it")
    func carriageReturnEndsLine() {
        var reader = SerialLineReader()
        let result = reader.readOnce(ascii("AT+CSQ\rAT"))
        #expect(result.event == .line(ascii("AT+CSQ")))
        #expect(result.rest == ascii("AT"))
    }

    @Test("CRLF ends one line, not two")
    func crlfEndsOneLine() {
        var reader = SerialLineReader()
        #expect(reader.events(ascii("AT\r\nATI\r\n")) == [.line(ascii("AT")), .line(ascii("ATI"))])
        #expect(reader.hasPartialLine == false)
    }

    @Test("a LF alone ends a line")
    func lineFeedAloneEndsLine() {
        var reader = SerialLineReader()
        #expect(reader.events(ascii("AT+CIPSTATUS\nAT\n")) == [.line(ascii("AT+CIPSTATUS")), .line(ascii("AT"))])
    }

    @Test("a LF right after a CR is ignored when it comes in the next read")
    func lineFeedAfterCarriageReturnAcrossReads() {
        var reader = SerialLineReader()
        #expect(reader.readOnce(ascii("ATE0\r")) == (.line(ascii("ATE0")), []))
        #expect(reader.readOnce(ascii("\n")) == (nil, []))
        #expect(reader.hasPartialLine == false)
        #expect(reader.events(ascii("ATV1\r")) == [.line(ascii("ATV1"))])
    }

    @Test("a second LF after CRLF is an empty line and reports nothing")
    func emptyLinesReportNothing() {
        var reader = SerialLineReader()
        #expect(reader.events(ascii("\r\r\n\n\r")) == [])
        #expect(reader.events(ascii("AT\r\n\nAT\r")) == [.line(ascii("AT")), .line(ascii("AT"))])
    }

    @Test("backspace and DEL remove the last character")
    func backspaceAndDeleteEdit() {
        var reader = SerialLineReader()
        #expect(reader.events(ascii("ATX\u{08}E0\r")) == [.line(ascii("ATE0"))])
        #expect(reader.events(ascii("AT+CSQQ\u{7F}\r")) == [.line(ascii("AT+CSQ"))])
        #expect(reader.events(ascii("ATI\u{08}\u{08}\u{08}\u{08}\u{08}AT\r")) == [.line(ascii("AT"))])
    }

    @Test("a line edited down to nothing reports nothing")
    func lineEditedToNothing() {
        var reader = SerialLineReader()
        #expect(reader.events(ascii("A\u{08}\r")) == [])
        #expect(reader.hasPartialLine == false)
    }

    @Test("a line of exactly maximumLineLength bytes is kept")
    func lineAtTheLimit() {
        var reader = SerialLineReader(maximumLineLength: 8)
        #expect(reader.events(ascii("AT+ABCDE\r")) == [.line(ascii("AT+ABCDE"))])
    }

    @Test("an over-long line reports lineTooLong at its end, and the next line still works")
    func overlongLine() {
        var reader = SerialLineReader(maximumLineLength: 8)
        #expect(reader.readOnce(ascii("AT+ABCDEF")) == (nil, []))
        #expect(reader.hasPartialLine)
        #expect(reader.readOnce(ascii("GHIJK")) == (nil, []))
        #expect(reader.events(ascii("\r\nAT\r\n")) == [.lineTooLong, .line(ascii("AT"))])
    }

    @Test("backspace cannot bring an over-long line back under the limit")
    func backspaceAfterOverflow() {
        var reader = SerialLineReader(maximumLineLength: 4)
        #expect(reader.events(ascii("ATE0V\u{08}\u{08}\r")) == [.lineTooLong])
        #expect(reader.events(ascii("ATE0\r")) == [.line(ascii("ATE0"))])
    }

    @Test("the default limit is 556 bytes (SIM800)")
    func defaultLimit() {
        var reader = SerialLineReader()
        #expect(reader.maximumLineLength == 556)
        let longest = ascii("AT+X=") + [UInt8](repeating: 0x31, count: 551)
        #expect(reader.events(longest + [0x0D]) == [.line(longest)])
        #expect(reader.events(longest + [0x31, 0x0D]) == [.lineTooLong])
    }

    @Test("NUL, Ctrl-Z and ESC are dropped in command mode")
    func controlBytesDropped() {
        var reader = SerialLineReader()
        #expect(reader.events([0x00, 0x41, 0x1A, 0x54, 0x1B, 0x45, 0x30, 0x00, 0x0D]) == [.line(ascii("ATE0"))])
        #expect(reader.events([0x1A, 0x1B, 0x00]) == [])
        #expect(reader.hasPartialLine == false)
    }

    @Test("other control bytes stay in the line for the parser to reject")
    func otherControlBytesKept() {
        var reader = SerialLineReader()
        #expect(reader.events([0x41, 0x54, 0x01, 0x09, 0x0D]) == [.line([0x41, 0x54, 0x01, 0x09])])
    }

    @Test("a command written in fragments is one line")
    func fragments() {
        var reader = SerialLineReader()
        for fragment in ["AT", "+CIPSEND=", "0", ",", "1000"] {
            #expect(reader.readOnce(ascii(fragment)) == (nil, []))
            #expect(reader.hasPartialLine)
        }
        let result = reader.readOnce(ascii("\r\n"))
        #expect(result.event == .line(ascii("AT+CIPSEND=0,1000")))
        #expect(result.rest == [0x0A])
    }

    @Test("read stops after a frame and leaves the rest of the input")
    func readStopsAfterFrame() {
        var reader = SerialLineReader()
        var input = ascii("AT\rATI\rATZ")[...]
        #expect(reader.read(&input) == .line(ascii("AT")))
        #expect(Array(input) == ascii("ATI\rATZ"))
        #expect(reader.read(&input) == .line(ascii("ATI")))
        #expect(Array(input) == ascii("ATZ"))
        #expect(reader.read(&input) == nil)
        #expect(input.isEmpty)
        #expect(reader.hasPartialLine)
    }
}

@Suite("SerialLineReader: data phases")
struct SerialLineReaderDataTests {
    @Test("Ctrl-Z ends the data; the reader is back in command mode")
    func ctrlZEndsData() {
        var reader = SerialLineReader()
        reader.beginData(.dataUntilCtrlZ(maximum: 1460))
        #expect(reader.phase == .dataUntilCtrlZ(maximum: 1460))
        #expect(reader.hasPartialLine == false)
        let result = reader.readOnce(ascii("hello\u{1A}AT\r"))
        #expect(result.event == .data(ascii("hello")))
        #expect(result.rest == ascii("AT\r"))
        #expect(reader.phase == .command)
        #expect(reader.events(result.rest) == [.line(ascii("AT"))])
    }

    @Test("CR, LF, backspace and NUL are payload in the Ctrl-Z phase")
    func ctrlZPhaseTakesControlBytes() {
        var reader = SerialLineReader()
        reader.beginData(.dataUntilCtrlZ(maximum: 100))
        #expect(
            reader.events([0x61, 0x0D, 0x0A, 0x62, 0x08, 0x00, 0x7F, 0x1A]) == [
                .data([0x61, 0x0D, 0x0A, 0x62, 0x08, 0x00, 0x7F])
            ])
    }

    @Test("Ctrl-Z data across several reads")
    func ctrlZDataInPieces() {
        var reader = SerialLineReader()
        reader.beginData(.dataUntilCtrlZ(maximum: 100))
        #expect(reader.readOnce(ascii("GET / HTTP/1.0\r\n")) == (nil, []))
        #expect(reader.readOnce(ascii("\r\n")) == (nil, []))
        #expect(reader.readOnce([0x1A]) == (.data(ascii("GET / HTTP/1.0\r\n\r\n")), []))
    }

    @Test("bytes beyond the maximum are discarded; Ctrl-Z still ends the phase")
    func ctrlZMaximum() {
        var reader = SerialLineReader()
        reader.beginData(.dataUntilCtrlZ(maximum: 4))
        #expect(reader.readOnce(ascii("abcdefgh")) == (nil, []))
        #expect(reader.phase == .dataUntilCtrlZ(maximum: 4))
        #expect(reader.readOnce(ascii("ij\u{1A}")) == (.data(ascii("abcd")), []))
        #expect(reader.phase == .command)
    }

    @Test("Ctrl-Z at once gives empty data")
    func ctrlZEmpty() {
        var reader = SerialLineReader()
        reader.beginData(.dataUntilCtrlZ(maximum: 10))
        #expect(reader.events([0x1A]) == [.data([])])
    }

    @Test("ESC cancels the Ctrl-Z phase and discards the data")
    func escapeCancels() {
        var reader = SerialLineReader()
        reader.beginData(.dataUntilCtrlZ(maximum: 100))
        let result = reader.readOnce(ascii("never sent\u{1B}AT\r"))
        #expect(result.event == .dataCancelled)
        #expect(result.rest == ascii("AT\r"))
        #expect(reader.phase == .command)
        #expect(reader.events(result.rest) == [.line(ascii("AT"))])
    }

    @Test("fixed-length data is taken verbatim, CR, LF, Ctrl-Z and ESC included")
    func fixedLengthVerbatim() {
        var reader = SerialLineReader()
        reader.beginData(.dataFixed(length: 8))
        let payload: [UInt8] = [0x0D, 0x0A, 0x1A, 0x1B, 0x08, 0x7F, 0x00, 0x0D]
        let result = reader.readOnce(payload + ascii("AT\r"))
        #expect(result.event == .data([0x0D, 0x0A, 0x1A, 0x1B, 0x08, 0x7F, 0x00, 0x0D]))
        #expect(result.rest == ascii("AT\r"))
        #expect(reader.phase == .command)
    }

    @Test("fixed-length data across several reads")
    func fixedLengthInPieces() {
        var reader = SerialLineReader()
        reader.beginData(.dataFixed(length: 5))
        #expect(reader.readOnce(ascii("ab")) == (nil, []))
        #expect(reader.readOnce(ascii("c")) == (nil, []))
        #expect(reader.readOnce(ascii("defg")) == (.data(ascii("abcde")), ascii("fg")))
    }

    @Test("a fixed length of zero or less leaves the reader in command mode")
    func fixedLengthZero() {
        var reader = SerialLineReader()
        reader.beginData(.dataFixed(length: 0))
        #expect(reader.phase == .command)
        reader.beginData(.dataFixed(length: -3))
        #expect(reader.phase == .command)
        #expect(reader.events(ascii("AT\r")) == [.line(ascii("AT"))])
    }

    @Test("the LF after the command's CR is not payload (same read)")
    func lineFeedAfterCommandSameRead() {
        var reader = SerialLineReader()
        let first = reader.readOnce(ascii("AT+CIPSEND=0,3\r\nabc"))
        #expect(first.event == .line(ascii("AT+CIPSEND=0,3")))
        reader.beginData(.dataFixed(length: 3))
        #expect(reader.readOnce(first.rest) == (.data(ascii("abc")), []))
    }

    @Test("the LF after the command's CR is not payload (later read)")
    func lineFeedAfterCommandLaterRead() {
        var reader = SerialLineReader()
        #expect(reader.readOnce(ascii("AT+CIPSEND=0,3\r")) == (.line(ascii("AT+CIPSEND=0,3")), []))
        reader.beginData(.dataFixed(length: 3))
        #expect(reader.readOnce(ascii("\n")) == (nil, []))
        #expect(reader.readOnce(ascii("abcAT\r")) == (.data(ascii("abc")), ascii("AT\r")))
    }

    @Test("the LF after the command's CR is not payload in the Ctrl-Z phase either")
    func lineFeedAfterCommandCtrlZ() {
        var reader = SerialLineReader()
        #expect(reader.readOnce(ascii("AT+CIPSEND\r")) == (.line(ascii("AT+CIPSEND")), []))
        reader.beginData(.dataUntilCtrlZ(maximum: 100))
        #expect(reader.events(ascii("\nhi\u{1A}")) == [.data(ascii("hi"))])
    }

    @Test("only one LF is skipped, and only directly after the CR")
    func onlyOneLineFeedSkipped() {
        var reader = SerialLineReader()
        #expect(reader.readOnce(ascii("AT+CIPSEND=0,3\r")).event == .line(ascii("AT+CIPSEND=0,3")))
        reader.beginData(.dataFixed(length: 3))
        #expect(reader.events(ascii("\n\nab")) == [.data(ascii("\nab"))])

        #expect(reader.readOnce(ascii("AT+CIPSEND=0,3\r")).event == .line(ascii("AT+CIPSEND=0,3")))
        reader.beginData(.dataFixed(length: 3))
        #expect(reader.events(ascii("x\ny")) == [.data(ascii("x\ny"))])
    }

    @Test("a host that ends lines with CR alone: a payload's leading LF is data, in both data phases")
    func leadingLineFeedAfterCarriageReturnOnlyHost() {
        var reader = SerialLineReader()
        #expect(reader.events(ascii("ATE0\rAT+CIPHEAD=1\r")) == [.line(ascii("ATE0")), .line(ascii("AT+CIPHEAD=1"))])
        #expect(reader.readOnce(ascii("AT+CIPSEND=3\r")).event == .line(ascii("AT+CIPSEND=3")))
        reader.beginData(.dataFixed(length: 3))
        // Written after the prompt: the first byte is the payload's, not the end of the line.
        #expect(reader.events(ascii("\nab")) == [.data(ascii("\nab"))])
        #expect(reader.readOnce(ascii("AT+CIPSEND\r")).event == .line(ascii("AT+CIPSEND")))
        reader.beginData(.dataUntilCtrlZ(maximum: 100))
        #expect(reader.events(ascii("\nhi\u{1A}")) == [.data(ascii("\nhi"))])
    }

    @Test("a host that ends lines with CRLF: the LF after a data command's CR is skipped even in a later read")
    func lineFeedSkippedForCRLFHost() {
        var reader = SerialLineReader()
        #expect(reader.events(ascii("ATE0\r\n")) == [.line(ascii("ATE0"))])
        #expect(reader.readOnce(ascii("AT+CIPSEND=3\r")).event == .line(ascii("AT+CIPSEND=3")))
        reader.beginData(.dataFixed(length: 3))
        #expect(reader.readOnce(ascii("\n")) == (nil, []))
        #expect(reader.events(ascii("\nab")) == [.data(ascii("\nab"))])
    }

    @Test("after a command ended by LF alone, a leading LF is payload")
    func leadingLineFeedAfterLineFeedCommand() {
        var reader = SerialLineReader()
        #expect(reader.readOnce(ascii("AT+CIPSEND=0,2\n")).event == .line(ascii("AT+CIPSEND=0,2")))
        reader.beginData(.dataFixed(length: 2))
        #expect(reader.events(ascii("\nz")) == [.data(ascii("\nz"))])
    }

    @Test("cancelData returns to command mode without an event and drops the data")
    func cancelData() {
        var reader = SerialLineReader()
        reader.beginData(.dataFixed(length: 10))
        #expect(reader.readOnce(ascii("abc")) == (nil, []))
        reader.cancelData()
        #expect(reader.phase == .command)
        #expect(reader.events(ascii("AT\r")) == [.line(ascii("AT"))])
    }

    @Test("beginData drops an unfinished command line")
    func beginDataDropsPartialLine() {
        var reader = SerialLineReader()
        #expect(reader.readOnce(ascii("ATI")) == (nil, []))
        reader.beginData(.dataFixed(length: 2))
        #expect(reader.events(ascii("xy")) == [.data(ascii("xy"))])
        #expect(reader.events(ascii("Z\r")) == [.line(ascii("Z"))])
    }

    @Test("a whole CIPSEND exchange: command, fixed data, next command")
    func wholeExchange() {
        var reader = SerialLineReader()
        var input = ascii("AT+CIPSEND=1,4\r\n\r\n\u{1A}\u{1B}AT+CIPSTATUS\r\n")[...]
        #expect(reader.read(&input) == .line(ascii("AT+CIPSEND=1,4")))
        reader.beginData(.dataFixed(length: 4))
        #expect(reader.read(&input) == .data([0x0D, 0x0A, 0x1A, 0x1B]))
        #expect(reader.read(&input) == .line(ascii("AT+CIPSTATUS")))
        #expect(reader.read(&input) == nil)
        #expect(input.isEmpty)
    }
}
