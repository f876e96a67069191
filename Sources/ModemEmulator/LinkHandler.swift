import NIOCore

/// The modem's end of one link's socket, behind the link's ``LinkShaper``: it passes what the
/// network delivers to the modem, announces an incoming TCP connection, and handles socket errors.
/// A TCP error closes the link; a UDP socket stays open through ICMP errors, as UDP has no
/// connection to lose.
final class LinkHandler<Inbound>: ChannelInboundHandler, LinkReceiver {
    typealias InboundIn = Inbound

    private let modem: VirtualModem
    private let socket: LinkSocket

    init(modem: VirtualModem, socket: LinkSocket) {
        self.modem = modem
        self.socket = socket
    }

    func channelActive(context: ChannelHandlerContext) {
        if socket.id == nil { modem.incomingActive(socket, remote: context.channel.remoteAddress) }
        context.fireChannelActive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch socket.transport {
        case .tcp:
            modem.logger.debug("link socket error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        case .udp:
            // An ICMP "port unreachable" surfaces here.
            modem.logger.debug("UDP link error", metadata: ["error": "\(error)"])
        }
    }

    func linkReceived(_ bytes: [UInt8]) {
        modem.linkReceived(socket, bytes)
    }

    func linkClosed() {
        modem.linkClosedByPeer(socket)
    }
}
