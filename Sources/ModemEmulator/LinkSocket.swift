import ModemCore
import ModemProtocol
import NIOCore

/// The socket behind one link (or an incoming connection not yet given a link). Event loop only.
final class LinkSocket {
    /// `nil` until the core accepts an incoming connection.
    var id: ConnectionID?
    let transport: TransportProtocol
    var channel: (any Channel)?
    /// A delayed connect or UDP close.
    var pendingStart: Scheduled<Void>?
    var pausedByModem = false
    var reading = false
    var closingGracefully = false
    /// The close was reported to the core already.
    var peerClosed = false

    init(id: ConnectionID?, transport: TransportProtocol) {
        self.id = id
        self.transport = transport
    }
}

extension LinkSocket: @unchecked Sendable {}
