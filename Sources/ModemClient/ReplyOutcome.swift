import ModemProtocol

/// What follows a command's final result as part of the command (SIM800 manual §8.2.2
/// `AT+CIPSTART`, §8.2.19 `AT+CIPSERVER`, `AT+CDNSGIP`): whether the engine waits for it, and how
/// each line bears on it. Decoded with the module's vocabulary, ``ModuleResult``.
enum ReplyOutcome {
    /// Whether an outcome follows a final result.
    enum Expectation: Equatable {
        /// It must come within ``ATRequest/outcomeTimeout``; without it the command times out.
        case required
        /// It may come right behind the result (`ERROR` then `ALREADY CONNECT`); without it the
        /// command ends at the result after a short wait.
        case optional
    }

    /// How a line bears on the outcome.
    enum Line: Equatable {
        /// It decides the outcome.
        case decides(success: Bool)
        /// It belongs to the outcome and comes before the deciding line (`STATE: TCP CLOSED`).
        case precedes
    }

    /// Whether `completion` has an outcome after the final result `result`.
    static func expectation(_ completion: ATRequest.Completion, after result: FinalResult) -> Expectation? {
        switch (completion, result) {
        case (.connection, .ok), (.lookup, .ok), (.server(opening: true), .ok): .required
        // A link in use: SIM800 answers `ERROR`, then `ALREADY CONNECT`. Closing a server: the
        // emulator says `SERVER CLOSE` alone, a module may say `OK` first.
        case (.connection, .error), (.server(opening: false), .ok): .optional
        default: nil
        }
    }

    /// What `line`, arriving after the final result `result`, is to the outcome of `completion`;
    /// `nil` when it is not part of it (a result of another link, an unrelated URC).
    static func classify(_ line: String, _ completion: ATRequest.Completion, after result: FinalResult) -> Line? {
        let module = ModuleResult(line: line)
        switch completion {
        case .connection(let link):
            switch module {
            case .alreadyConnect(link)?: return .decides(success: true)
            case _ where result != .ok: return nil
            case .connectOK(link)?: return .decides(success: true)
            case .connectFail(link)?, .pdpDeact?: return .decides(success: false)
            case .state? where link == nil: return .precedes
            case nil where link == nil:
                // Transparent mode (`AT+CIPMODE=1`): `CONNECT`, and the link is in data mode.
                if case .connect? = FinalResult(line: line) { return .decides(success: true) }
                return nil
            default: return nil
            }
        case .lookup:
            guard case .dnsResult(let text)? = UnsolicitedResult(line: line) else { return nil }
            return .decides(success: text.hasPrefix("1"))
        case .server(let opening):
            switch module {
            case .serverOK? where opening: return .decides(success: true)
            case .serverClose?: return .decides(success: !opening)
            default: return nil
            }
        case .standard, .localAddress, .shut, .close, .send, .status:
            return nil
        }
    }
}
