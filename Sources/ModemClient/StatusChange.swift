import ModemProtocol

/// One element of ``ModemClient/watch(every:)``.
public enum StatusChange: Equatable, Sendable {
    /// The first status read.
    case initial(ConnectionStatus)
    /// The module switched between single and multi-connection mode; the new status in full.
    case modeChanged(ConnectionStatus)
    /// The `STATE:` word changed.
    case stateChanged(from: String, to: String)
    /// The `S:` server line changed (multi mode).
    case serverChanged(from: ServerStatus?, to: ServerStatus?)
    /// A link's line changed (multi mode); `from` is `nil` for a link not listed before.
    case linkChanged(from: LinkStatus?, to: LinkStatus)
    /// An unsolicited result code arrived.
    case unsolicited(UnsolicitedResult)
    /// A poll failed (for example a timeout); polling goes on.
    case pollFailed(ModemClientError)

    /// The differences between two status readings, in the order state, server, links.
    public static func changes(from old: ConnectionStatus, to new: ConnectionStatus) -> [StatusChange] {
        switch (old, new) {
        case (.single(let before), .single(let after)):
            return before == after ? [] : [.stateChanged(from: before.rawValue, to: after.rawValue)]
        case (.multi(let before, let oldServer, let oldLinks), .multi(let after, let newServer, let newLinks)):
            var changes: [StatusChange] = []
            if before != after { changes.append(.stateChanged(from: before.rawValue, to: after.rawValue)) }
            if oldServer != newServer { changes.append(.serverChanged(from: oldServer, to: newServer)) }
            for link in newLinks {
                let previous = oldLinks.first { $0.number == link.number }
                if previous != link { changes.append(.linkChanged(from: previous, to: link)) }
            }
            return changes
        default:
            return [.modeChanged(new)]
        }
    }
}

extension StatusChange: CustomStringConvertible {
    /// One line for people, starting with what changed: `status multi IP STATUS, 0 link(s)`,
    /// `state IP STATUS -> IP PROCESSING`, `server none -> LISTENING on port 4010`,
    /// `link 0 INITIAL -> CONNECTED TCP 1.2.3.4:80`, `urc 1, CLOSED` (the module's line), `poll failed: …`.
    public var description: String {
        switch self {
        case .initial(let status): "status \(status)"
        case .modeChanged(let status): "mode \(status)"
        case .stateChanged(let from, let to): "state \(from) -> \(to)"
        case .serverChanged(let from, let to): "server \(from?.description ?? "none") -> \(to?.description ?? "none")"
        case .linkChanged(let from, let to):
            "link \(to.number) \(from?.state.rawValue ?? "new") -> \(to.stateAndRemote)"
        case .unsolicited(let result): "urc \(result)"
        case .pollFailed(let error): "poll failed: \(error)"
        }
    }
}
