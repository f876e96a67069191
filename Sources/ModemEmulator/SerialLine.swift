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
    private let bytesPerSecond: Double?
    private let limit: Int
    let trace: TraceWriter?
    private var paced = ByteBuffer()
    private var pacer: RepeatedTask?
    private var credit = 0.0
    /// Called with the new value when ``isBlocked`` changes.
    var blockedChanged: (Bool) -> Void = { _ in }
    private(set) var isBlocked = true

    static let tick = TimeAmount.milliseconds(10)
    static let compactAfter = 64 * 1024

    init(eventLoop: any EventLoop, baudRate: Int?, limit: Int, trace: TraceWriter?) {
        self.eventLoop = eventLoop
        self.bytesPerSecond = baudRate.map { Double($0) / 10 }
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
        if bytesPerSecond == nil {
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

    private func startPacer() {
        guard pacer == nil else { return }
        credit = 0
        pacer = eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: Self.tick) { [weak self] _ in
            self?.pace()
        }
    }

    private func stopPacer() {
        pacer?.cancel()
        pacer = nil
    }

    private func pace() {
        guard let channel, let bytesPerSecond, paced.readableBytes > 0 else {
            stopPacer()
            return
        }
        credit += bytesPerSecond * Double(Self.tick.nanoseconds) / 1e9
        let count = min(Int(credit), paced.readableBytes)
        guard count > 0 else { return }
        credit -= Double(count)
        if let slice = paced.readSlice(length: count) {
            channel.writeAndFlush(slice, promise: nil)
        }
        // Compacting copies what is left when a slice still shares the storage: only now and then.
        if paced.readerIndex >= Self.compactAfter { paced.discardReadBytes() }
        update()
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
