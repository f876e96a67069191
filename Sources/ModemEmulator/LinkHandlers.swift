import NIOCore

/// Feeds a TCP link's bytes and closes into its modem.
final class StreamLinkHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

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

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        modem.linkReceived(socket, Array(unwrapInboundIn(data).readableBytesView))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { modem.linkClosedByPeer(socket) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        modem.linkClosedByPeer(socket)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        modem.logger.debug("link socket error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}

/// Feeds a connected UDP socket's datagrams into its modem.
final class DatagramLinkHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let modem: VirtualModem
    private let socket: LinkSocket

    init(modem: VirtualModem, socket: LinkSocket) {
        self.modem = modem
        self.socket = socket
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        modem.linkReceived(socket, Array(unwrapInboundIn(data).data.readableBytesView))
    }

    func channelInactive(context: ChannelHandlerContext) {
        modem.linkClosedByPeer(socket)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // An ICMP "port unreachable" surfaces here; UDP has no connection to lose, so the link stays.
        modem.logger.debug("UDP link error", metadata: ["error": "\(error)"])
    }
}
