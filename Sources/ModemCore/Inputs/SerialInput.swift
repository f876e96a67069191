import ModemProtocol

/// Host bytes: framing, running command lines, and what every input ends with.
extension Modem {
    mutating func process(_ input: inout ArraySlice<UInt8>) {
        switch power.stage {
        case .running:
            break
        case .booting:
            input = []  // the UART is not up yet
            return
        case .awaitingBaudRate:
            guard let (start, replay) = power.detectBaudRate(in: input) else {
                input = []
                return
            }
            input = input[start...]
            if let replay {
                var first: ArraySlice<UInt8> = [replay]
                process(&first)
            }
        }
        while !input.isEmpty {
            if interpreter.activity.isWaiting {
                interpreter.queue(input)
                input = []
                return
            }
            if interpreter.activity == .dataMode {
                dataModeInput(&input)
                continue
            }
            guard let frame = interpreter.nextFrame(&input, echo: settings.echo, to: &output.serial) else { return }
            frameReceived(frame)
        }
    }

    private mutating func frameReceived(_ frame: SerialLineReader.Frame) {
        switch frame {
        case .line:
            if reportsCommandLines { act(.commandLine(interpreter.lineText)) }
            guard let commands = interpreter.parseLine() else {
                fail(nil)
                return
            }
            run(commands[...])
            if interpreter.activity.isIdle { flushHeldOutput() }
            interpreter.recycle(commands)
        case .lineTooLong:
            fail(nil)
        case .data:
            switch interpreter.activity {
            case .composingMessage(let destination, let length):
                messageComposed(interpreter.frameBytes, destination: destination, pduLength: length)
            case .downloadingHTTPData: httpDataReceived(interpreter.frameBytes)
            default: dataReceived(interpreter.frameBytes)
            }
        case .dataCancelled:
            if case .composingMessage = interpreter.activity {
                complete(with: .noResult)
            } else {
                sendCancelled()
            }
        }
    }

    /// Runs the commands of one line (ITU-T V.250 §5.2.1): information text of each, one final
    /// result code at the end; the first failing command ends the line with its error.
    mutating func run(_ commands: ArraySlice<ATCommand>) {
        interpreter.beginLine()
        defer { interpreter.endLine() }
        var rest = commands
        if rest.isEmpty {
            settings.formatter.appendResult(.ok, to: &output.serial)
            return
        }
        while let command = rest.popFirst() {
            switch execute(command) {
            case .ok:
                if rest.isEmpty { settings.formatter.appendResult(.ok, to: &output.serial) }
            case .final(let text):
                info(text)
            case .noResult:
                continue
            case .result(let code):
                settings.formatter.appendResult(code, to: &output.serial)
                return
            case .messageError(let code):
                failMessage(code)
                return
            case .error(let error):
                fail(error)
                return
            case .waiting:
                interpreter.postpone(rest)
                return
            }
        }
    }

    /// The command that was waiting finished with `outcome`; runs the rest of its line, then the
    /// input that arrived meanwhile.
    mutating func complete(with outcome: CommandOutcome) {
        var rest = interpreter.finishWaiting()
        defer { interpreter.endLine() }
        switch outcome {
        case .ok:
            if rest.isEmpty { settings.formatter.appendResult(.ok, to: &output.serial) }
        case .final(let text):
            info(text)
        case .noResult, .waiting:
            break
        case .result(let code):
            rest = []
            settings.formatter.appendResult(code, to: &output.serial)
        case .messageError(let code):
            rest = []
            failMessage(code)
        case .error(let error):
            rest = []
            fail(error)
        }
        if !rest.isEmpty { run(rest) }
    }

    /// Processes host input queued while a command was in progress.
    private mutating func resumeInput() {
        while interpreter.activity.isIdle, var input = interpreter.takePendingInput() {
            process(&input)
            if !input.isEmpty { interpreter.putBack(input) }
        }
    }

    mutating func flushHeldOutput() {
        interpreter.flushHeldOutput(to: &output, links: links)
    }

    /// What every input ends with: queued host input runs if the modem is free, held output goes
    /// out if nothing holds it, and the serial line's flow control follows the send buffer.
    mutating func settle() {
        // A send whose link went away by any path (PDP deactivation, a reset) has failed.
        if let (number, connection) = interpreter.activity.pendingSend,
            links[number]?.id != connection || links[number]?.phase != .connected
        {
            sendFailed(on: connection, timedOut: false)
        }
        // A send that waits on the network must not wait on a link the held output paused.
        let activity = interpreter.activity
        if activity.isIdle || (activity.waitsOnNetworkForSend && !interpreter.pausedForHeldOutput.isEmpty) {
            flushHeldOutput()
        }
        resumeInput()
        if interpreter.activity.isIdle { flushHeldOutput() }
        interpreter.updateHostInputFlow(
            unsent: links[0]?.unsent ?? 0, limit: configuration.sendBufferLimit, actions: &output.actions)
    }
}
