import ModemProtocol
import Testing

@Suite("ResponseFormatter and result codes")
struct ResponseFormatterTests {
    @Test("ATV1 frames a result code as \\r\\n<text>\\r\\n")
    func verboseResult() {
        let formatter = ResponseFormatter()
        var output: [UInt8] = []
        formatter.appendResult(.ok, to: &output)
        #expect(output == ascii("\r\nOK\r\n"))
        formatter.appendResult(.error, to: &output)
        #expect(output == ascii("\r\nOK\r\n\r\nERROR\r\n"))
    }

    @Test("ATV1 frames an information line as \\r\\n<text>\\r\\n")
    func verboseLine() {
        var output: [UInt8] = []
        ResponseFormatter(verbose: true).appendLine("+CSQ: 20,0", to: &output)
        #expect(output == ascii("\r\n+CSQ: 20,0\r\n"))
    }

    @Test("ATV0 writes a result code as <code>\\r and information as <text>\\r\\n")
    func numeric() {
        let formatter = ResponseFormatter(verbose: false)
        var output: [UInt8] = []
        formatter.appendLine("+CSQ: 20,0", to: &output)
        formatter.appendResult(.ok, to: &output)
        #expect(output == ascii("+CSQ: 20,0\r\n0\r"))
    }

    @Test(
        "verbose and numeric forms of every result code",
        arguments: [
            (ResultCode.ok, "\r\nOK\r\n", "0\r"),
            (.connect, "\r\nCONNECT\r\n", "1\r"),
            (.ring, "\r\nRING\r\n", "2\r"),
            (.noCarrier, "\r\nNO CARRIER\r\n", "3\r"),
            (.error, "\r\nERROR\r\n", "4\r"),
            (.noDialtone, "\r\nNO DIALTONE\r\n", "6\r"),
            (.busy, "\r\nBUSY\r\n", "7\r"),
            (.noAnswer, "\r\nNO ANSWER\r\n", "8\r"),
        ])
    func everyResultCode(code: ResultCode, verbose: String, numeric: String) {
        var verboseOutput: [UInt8] = []
        ResponseFormatter(verbose: true).appendResult(code, to: &verboseOutput)
        #expect(verboseOutput == ascii(verbose))
        var numericOutput: [UInt8] = []
        ResponseFormatter(verbose: false).appendResult(code, to: &numericOutput)
        #expect(numericOutput == ascii(numeric))
    }

    @Test("a result code from its verbose text")
    func resultCodeFromText() {
        #expect(ResultCode(text: "OK") == .ok)
        #expect(ResultCode(text: "NO CARRIER") == .noCarrier)
        #expect(ResultCode(text: "ok") == nil)
        #expect(ResultCode(text: "SEND OK") == nil)
    }

    @Test("AT+CMEE=0 reports operation not allowed as ERROR")
    func cmeeDisabled() {
        let formatter = ResponseFormatter(errorReporting: .disabled)
        var output: [UInt8] = []
        formatter.appendError(.operationNotAllowed, to: &output)
        #expect(output == ascii("\r\nERROR\r\n"))
    }

    @Test("AT+CMEE=1 reports operation not allowed as +CME ERROR: 3")
    func cmeeNumeric() {
        let formatter = ResponseFormatter(errorReporting: .numeric)
        var output: [UInt8] = []
        formatter.appendError(.operationNotAllowed, to: &output)
        #expect(output == ascii("\r\n+CME ERROR: 3\r\n"))
    }

    @Test("AT+CMEE=2 reports operation not allowed as +CME ERROR: operation not allowed")
    func cmeeVerbose() {
        let formatter = ResponseFormatter(errorReporting: .verbose)
        var output: [UInt8] = []
        formatter.appendError(.operationNotAllowed, to: &output)
        #expect(output == ascii("\r\n+CME ERROR: operation not allowed\r\n"))
    }

    @Test("a failure without a mobile equipment error is ERROR under every AT+CMEE setting")
    func plainErrorUnderEveryCMEE() {
        for reporting in [ErrorReporting.disabled, .numeric, .verbose] {
            var output: [UInt8] = []
            ResponseFormatter(errorReporting: reporting).appendError(nil, to: &output)
            #expect(output == ascii("\r\nERROR\r\n"))
        }
    }

    @Test("under ATV0 the CME error is an information line and plain ERROR is 4")
    func numericErrors() {
        var output: [UInt8] = []
        ResponseFormatter(verbose: false, errorReporting: .numeric).appendError(.operationNotAllowed, to: &output)
        ResponseFormatter(verbose: false, errorReporting: .verbose).appendError(.simBusy, to: &output)
        ResponseFormatter(verbose: false, errorReporting: .disabled).appendError(.simBusy, to: &output)
        #expect(output == ascii("+CME ERROR: 3\r\n+CME ERROR: SIM busy\r\n4\r"))
    }

    @Test("AT+CMEE values")
    func errorReportingValues() {
        #expect(ErrorReporting(rawValue: 0) == .disabled)
        #expect(ErrorReporting(rawValue: 1) == .numeric)
        #expect(ErrorReporting(rawValue: 2) == .verbose)
        #expect(ErrorReporting(rawValue: 3) == nil)
    }

    @Test("the defaults are ATV1 and AT+CMEE=0")
    func defaults() {
        #expect(ResponseFormatter() == ResponseFormatter(verbose: true, errorReporting: .disabled))
    }

    @Test("mobile equipment errors: codes, texts and lookup by text")
    func mobileEquipmentErrors() {
        #expect(MobileEquipmentError.operationNotAllowed.rawValue == 3)
        #expect(MobileEquipmentError.operationNotAllowed.text == "operation not allowed")
        #expect(MobileEquipmentError.simPINRequired.rawValue == 11)
        #expect(MobileEquipmentError.simPINRequired.text == "SIM PIN required")
        #expect(MobileEquipmentError.incorrectParameters.rawValue == 50)
        #expect(MobileEquipmentError(text: "operation not allowed") == .operationNotAllowed)
        #expect(MobileEquipmentError(text: "Operation Not Allowed") == .operationNotAllowed)
        #expect(MobileEquipmentError(text: "incorrect parameters") == .incorrectParameters)
        #expect(MobileEquipmentError(text: "operation allowed") == nil)
    }
}
