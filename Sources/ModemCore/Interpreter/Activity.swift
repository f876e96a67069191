import ModemProtocol

/// What a command did.
enum CommandOutcome: Equatable {
    /// Succeeded; `OK` follows unless more commands of the line follow.
    case ok
    /// Succeeded with its own final text instead of `OK` (`SHUT OK`, `0, CLOSE OK`).
    case final(String)
    /// Succeeded with no final result code (`AT+CIFSR`).
    case noResult
    /// Ended with a V.250 result code other than `OK` (`NO CARRIER` for `ATA` without a call).
    case result(ResultCode)
    /// Failed with an SMS error: `+CMS ERROR: <n>` under `AT+CMEE=1/2`, else `ERROR` (SIM800 manual
    /// §4.1, 3GPP TS 27.005 §3.2.5).
    case messageError(Int)
    /// Failed: `ERROR`, or `+CME ERROR: <error>` under `AT+CMEE`.
    case error(MobileEquipmentError?)
    /// Waits for the network, a timer or data; the modem takes no other command meanwhile.
    case waiting
}

extension CommandOutcome {
    /// Succeeded with the module's own final result (`SHUT OK`, `0, CLOSE OK`).
    static func final(_ result: ModuleResult) -> CommandOutcome { .final(result.line) }
}

/// What the command interpreter is doing.
enum Activity: Equatable, Sendable {
    case idle
    /// `AT+CIICR` waits for the network.
    case activatingContext
    /// `AT+SAPBR=1,<cid>` waits for the network.
    case openingBearer(profile: Int)
    /// `AT+CIPPING` waits for its round trips.
    case pinging(query: UInt64)
    /// `AT+CIPSEND` waits for its data.
    case sending(link: Int)
    /// `AT+CIPSEND`'s data waits for room in the link's send buffer (``ModemConfiguration/sendBufferLimit``).
    case awaitingSendRoom(link: Int, connection: ConnectionID, data: [UInt8])
    /// `AT+CIPSEND`'s data is in the send buffer: `SEND OK` once the network has taken every byte
    /// up to `through` (the link's ``Link/queuedTotal`` after it).
    case awaitingSent(link: Int, connection: ConnectionID, through: UInt64)
    /// Transparent mode: host bytes go to link 0.
    case dataMode
    /// `AT+CMGS`'s text (or PDU) is being typed, up to Ctrl-Z; `destination` in text mode, the
    /// PDU's length in PDU mode.
    case composingMessage(destination: String?, pduLength: Int)
    /// `AT+HTTPDATA`'s `DOWNLOAD` phase: the request body, of a fixed length.
    case downloadingHTTPData
    /// `ATD…;` with `AT+COLP=1`: `OK` waits for the called party to answer.
    case dialling
    /// A command's work is done; its final text follows when ``ModemTimer/response`` fires.
    case awaitingResponse(String)

    var isIdle: Bool { self == .idle }
    /// Whether host input is queued rather than read (the data phases read it).
    var isWaiting: Bool {
        switch self {
        case .activatingContext, .openingBearer, .pinging, .awaitingResponse, .awaitingSendRoom, .awaitingSent,
            .dialling:
            true
        case .idle, .sending, .dataMode, .composingMessage, .downloadingHTTPData: false
        }
    }
    /// Whether a send waits on the network to take data (whose progress may depend on the host
    /// reading what the modem holds for it).
    var waitsOnNetworkForSend: Bool {
        switch self {
        case .awaitingSendRoom, .awaitingSent: true
        case .idle, .activatingContext, .openingBearer, .pinging, .awaitingResponse, .sending, .dataMode,
            .composingMessage, .downloadingHTTPData, .dialling:
            false
        }
    }
    /// The link and connection of a send waiting on the network.
    var pendingSend: (link: Int, connection: ConnectionID)? {
        switch self {
        case .awaitingSent(let link, let connection, _), .awaitingSendRoom(let link, let connection, _):
            (link, connection)
        default: nil
        }
    }
}
