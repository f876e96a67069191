import NIOCore

/// Announces an incoming TCP connection to its modem. Data and closes reach the modem through the
/// link's ``LinkShaper``, which sits in front of this handler.
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

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        modem.logger.debug("link socket error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}

/// Keeps a connected UDP socket open through ICMP errors; datagrams reach the modem through the
/// link's ``LinkShaper``.
final class DatagramLinkHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let modem: VirtualModem

    init(modem: VirtualModem) {
        self.modem = modem
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // An ICMP "port unreachable" surfaces here; UDP has no connection to lose, so the link stays.
        modem.logger.debug("UDP link error", metadata: ["error": "\(error)"])
    }
}

extension LinkShaper where Inbound == ByteBuffer {
    /// The shaper of a TCP link.
    convenience init(streamOf modem: VirtualModem, socket: LinkSocket) {
        self.init(modem: modem, socket: socket, datagrams: false) { $0 }
    }
}

extension LinkShaper where Inbound == AddressedEnvelope<ByteBuffer> {
    /// The shaper of a UDP link.
    convenience init(datagramsOf modem: VirtualModem, socket: LinkSocket) {
        self.init(modem: modem, socket: socket, datagrams: true) { $0.data }
    }
}
