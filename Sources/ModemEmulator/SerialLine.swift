import NIOCore
import ModemProtocol

/// The modem's side of the serial line: the channel of whatever host is attached (PTY master,
/// TCP client, stdio), optional UART pacing, the trace, and the back-pressure signal.
///
/// The port is *blocked* while no host is attached, while the channel is not writable (the host
/// does not read), or while paced output above ``EmulatorConfiguration/serialOutputLimit`` waits;
/// the modem then stops reading every link so that output never queues without bound. Bytes
/// written while no host is attached are lost, as on a module whose serial cable is unplugged.
/// Used only on the modem's event loop.
final class SerialLine {
    private(set) var channel: (any Channel)?
    private let eventLoop: any EventLoop
    /// How long one byte (10 bits) occupies a UART at the paced rate, in ns; `nil` unpaced.
    private let byteNanoseconds: Int64?
    private let limit: Int
    let trace: TraceWriter?
    private var paced = ByteBuffer()
    /// The next slice's delivery, while paced bytes wait.
    private var pacer: Scheduled<Void>?
    /// When the paced line has sent everything handed to it so far.
    private var lineFreeAt = NIODeadline.uptimeNanoseconds(0)
    /// Called with the new value when ``isBlocked`` changes.
    var blockedChanged: (Bool) -> Void = { _ in }
    private(set) var isBlocked = true

    /// Paced bytes go out in slices of about this long on the wire, each when its last byte would
    /// have arrived on a real UART: never earlier than a UART delivers them, at most 1 ms later.
    static let slice: Int64 = 1_000_000
    static let compactAfter = 64 * 1024

    init(eventLoop: any EventLoop, baudRate: Int?, limit: Int, trace: TraceWriter?) {
        self.eventLoop = eventLoop
        self.byteNanoseconds = baudRate.map { max(1, 10_000_000_000 / Int64($0)) }
        self.limit = limit
        self.trace = trace
    }

    func attach(_ channel: any Channel) {
        self.channel = channel
        update()
    }

    func detach(_ channel: any Channel) {
        guard self.channel === channel else { return }
        self.channel = nil
        paced.clear()
        stopPacer()
        update()
    }

    /// Records bytes the host wrote.
    func received(_ bytes: some Collection<UInt8>) {
        trace?.host(bytes)
    }

    /// Sends bytes to the host (or drops them while none is attached).
    func write(_ bytes: [UInt8]) {
        guard let channel, !bytes.isEmpty else { return }
        trace?.module(bytes)
        if byteNanoseconds == nil {
            channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
        } else {
            paced.writeBytes(bytes)
            startPacer()
        }
        update()
    }

    func writabilityChanged() {
        update()
    }

    func close() {
        stopPacer()
        channel?.close(promise: nil)
        channel = nil
    }

    private func update() {
        let blocked = channel.map { !$0.isWritable || paced.readableBytes >= limit } ?? true
        if blocked != isBlocked {
            isBlocked = blocked
            blockedChanged(blocked)
        }
    }

    /// Schedules the next slice of paced bytes for when a UART would have sent its last byte.
    private func startPacer() {
        guard pacer == nil, let byteNanoseconds, paced.readableBytes > 0 else { return }
        let count = min(max(1, Int(Self.slice / byteNanoseconds)), paced.readableBytes)
        let start = max(NIODeadline.now(), lineFreeAt)
        lineFreeAt = start + .nanoseconds(byteNanoseconds * Int64(count))
        pacer = eventLoop.scheduleTask(deadline: lineFreeAt) { [weak self] in
            self?.deliver(count)
        }
    }

    private func stopPacer() {
        pacer?.cancel()
        pacer = nil
    }

    private func deliver(_ count: Int) {
        pacer = nil
        guard let channel, let slice = paced.readSlice(length: min(count, paced.readableBytes)) else { return }
        channel.writeAndFlush(slice, promise: nil)
        // Compacting copies what is left when a slice still shares the storage: only now and then.
        if paced.readerIndex >= Self.compactAfter { paced.discardReadBytes() }
        update()
        startPacer()
    }
}

// Confined to the modem's event loop; the pacer's closure runs there too.
extension SerialLine: @unchecked Sendable {}

/// Feeds what the host writes into the modem and tells it when the host stops or resumes reading.
final class SerialChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let modem: VirtualModem
    private let onClose: @Sendable () -> Void

    init(modem: VirtualModem, onClose: @escaping @Sendable () -> Void = {}) {
        self.modem = modem
        self.onClose = onClose
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { modem.attachSerial(context.channel) }
    }

    func channelActive(context: ChannelHandlerContext) {
        modem.attachSerial(context.channel)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        modem.serialReceived(Array(buffer.readableBytesView))
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        modem.serialWritabilityChanged()
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        modem.detachSerial(context.channel)
        onClose()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // The host closed its end (stdin EOF, a TCP client's FIN): the line is gone.
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        modem.logger.debug("serial line error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}
