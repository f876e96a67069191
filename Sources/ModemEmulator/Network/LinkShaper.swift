import NIOCore

/// Shapes one link's data to the modem's ``NetworkProfile``: in each direction a token bucket
/// paces the bytes at the link rate, then a delay line holds each chunk for a latency drawn from
/// the profile's range. Chunks leave in order (a TCP stream is never reordered; jitter only
/// stretches gaps). UDP datagrams are dropped at the profile's loss rate, each direction on its own.
///
/// Bounded: when more than ``queueLimit`` bytes from the network wait in the shaper, it stops
/// passing `read` on, so the socket is not read and the peer meets TCP back-pressure (UDP
/// datagrams then wait in, or overflow, the kernel's buffer); reading resumes below half the limit.
/// The uplink needs no bound of its own: the modem sends no more than its send buffer
/// (``ModemCore/ModemConfiguration/sendBufferLimit``) until the shaper completes the writes. A
/// write completes when its last byte has left the modem at the link rate (handed to the network:
/// `SEND OK`), not when it reaches the peer a latency later, and only while the socket takes what
/// the delay line hands it (the channel is writable): a peer that stops reading stops the sends.
///
/// The conditions and the random draws (latency, loss) come from the modem's ``NetworkSimulation``.
/// What the network delivers goes to the link's ``LinkReceiver`` rather than down the pipeline:
/// data and the peer's close still in the delay line when the socket closes must arrive after the
/// socket and its pipeline are gone. With the ``NetworkProfile/ideal`` profile nothing is held: data
/// passes at once. Used only on the modem's event loop.
final class LinkShaper<Inbound>: ChannelDuplexHandler {
    typealias InboundIn = Inbound
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Most bytes held in one direction before the shaper pushes back.
    static var queueLimit: Int { 64 * 1024 }
    /// Pacing granularity: a chunk is at most what the link carries in this time.
    static var tick: Duration { .milliseconds(10) }

    private let network: NetworkSimulation
    private let eventLoop: any EventLoop
    private let receiver: any LinkReceiver
    private let datagrams: Bool
    private let payload: (Inbound) -> ByteBuffer
    private var context: ChannelHandlerContext?

    private var downlink = Direction()
    private var uplink = Direction()
    /// The channel asked for a read while the downlink queue was over the limit.
    private var readHeld = false
    /// Uplink writes whose promise completes when their last byte has left the bucket, in order.
    private var departures: [(at: NIODeadline, promise: EventLoopPromise<Void>)] = []
    private var departureTimer: Scheduled<Void>?

    private enum Item {
        case data(ByteBuffer)
        /// Downlink: the peer's FIN or the socket's close. Uplink: a half-close (FIN) the modem asked for.
        case close(EventLoopPromise<Void>?)
    }

    private struct Direction {
        var queue: [(due: NIODeadline, item: Item)] = []
        var head = 0
        var queuedBytes = 0
        /// When the bucket finishes serialising what it has taken so far.
        var busyUntil = NIODeadline.uptimeNanoseconds(0)
        /// When the last chunk leaves the delay line (chunks never overtake one another).
        var lastDue = NIODeadline.uptimeNanoseconds(0)
        var timer: Scheduled<Void>?
        var isEmpty: Bool { head == queue.count }
    }

    init(
        network: NetworkSimulation, eventLoop: any EventLoop, receiver: any LinkReceiver, datagrams: Bool,
        payload: @escaping (Inbound) -> ByteBuffer
    ) {
        self.network = network
        self.eventLoop = eventLoop
        self.receiver = receiver
        self.datagrams = datagrams
        self.payload = payload
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        dropUplink()
        // The downlink keeps draining into the modem: the peer's last bytes and its close are due.
    }

    // MARK: Network → modem

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = payload(unwrapInboundIn(data))
        let profile = network.profile
        if datagrams, network.losesDatagram() { return }
        if downlink.isEmpty, profile.isIdeal {
            receiver.linkReceived(Array(message.readableBytesView))
            return
        }
        enqueue(message, in: &downlink, rateKbit: profile.downlinkKbit)
        scheduleDownlink()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { peerClosed() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        peerClosed()
        context.fireChannelInactive()
    }

    func read(context: ChannelHandlerContext) {
        if downlink.queuedBytes > Self.queueLimit {
            readHeld = true
        } else {
            context.read()
        }
    }

    private func peerClosed() {
        if downlink.isEmpty {
            receiver.linkClosed()
        } else {
            append(.close(nil), to: &downlink, due: downlink.lastDue)
        }
    }

    private func scheduleDownlink() {
        schedule(&downlink) { $0.drainDownlink() }
    }

    private func drainDownlink() {
        downlink.timer = nil
        let now = NIODeadline.now()
        while !downlink.isEmpty, downlink.queue[downlink.head].due <= now {
            let item = take(from: &downlink)
            switch item {
            case .data(let message): receiver.linkReceived(Array(message.readableBytesView))
            case .close: receiver.linkClosed()
            }
        }
        if readHeld, downlink.queuedBytes <= Self.queueLimit / 2, let context {
            readHeld = false
            if context.channel.isActive { context.read() }
        }
        scheduleDownlink()
    }

    // MARK: Modem → network

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let message = unwrapOutboundIn(data)
        let profile = network.profile
        if datagrams, network.losesDatagram() {
            promise?.succeed()
            return
        }
        if uplink.isEmpty, profile.isIdeal {
            context.write(data, promise: promise)
            return
        }
        let departs = enqueue(message, in: &uplink, rateKbit: profile.uplinkKbit)
        if let promise {
            departures.append((departs, promise))
            scheduleDepartures()
        }
        scheduleUplink()
    }

    func flush(context: ChannelHandlerContext) {
        // Held chunks are flushed as they leave; what passed through unshaped is flushed now.
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .output, !uplink.isEmpty else {
            if mode == .all { dropUplink() }
            context.close(mode: mode, promise: promise)
            return
        }
        append(.close(promise), to: &uplink, due: uplink.lastDue)
    }

    private func scheduleUplink() {
        schedule(&uplink) { $0.drainUplink() }
    }

    private func drainUplink() {
        uplink.timer = nil
        guard let context else { return }
        let now = NIODeadline.now()
        var wrote = false
        while !uplink.isEmpty, uplink.queue[uplink.head].due <= now {
            switch take(from: &uplink) {
            case .data(let message):
                context.write(wrapOutboundOut(message), promise: nil)
                wrote = true
            case .close(let promise):
                if wrote { context.flush() }
                wrote = false
                context.close(mode: .output, promise: promise)
            }
        }
        if wrote { context.flush() }
        scheduleUplink()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { completeDepartures() }
        context.fireChannelWritabilityChanged()
    }

    private func scheduleDepartures() {
        guard departureTimer == nil, let first = departures.first else { return }
        departureTimer = eventLoop.assumeIsolated().scheduleTask(deadline: first.at) { [self] in
            departureTimer = nil
            completeDepartures()
        }
    }

    private func completeDepartures() {
        guard let context, context.channel.isWritable else { return }
        let now = NIODeadline.now()
        let due = departures.prefix { $0.at <= now }
        departures.removeFirst(due.count)
        for departure in due { departure.promise.succeed() }
        scheduleDepartures()
    }

    private func dropUplink() {
        departureTimer?.cancel()
        departureTimer = nil
        let pending = departures
        departures.removeAll()
        for departure in pending { departure.promise.fail(ChannelError.ioOnClosedChannel) }
        uplink.timer?.cancel()
        uplink.timer = nil
        while !uplink.isEmpty {
            switch take(from: &uplink) {
            case .data: break
            case .close(let promise): promise?.fail(ChannelError.ioOnClosedChannel)
            }
        }
    }

    // MARK: Token bucket and delay line

    /// Cuts `message` into chunks the link carries in one ``tick`` (a datagram stays whole), gives
    /// each the time its last byte leaves the bucket plus a latency, and queues it. Returns when
    /// the message's last byte leaves the bucket.
    @discardableResult
    private func enqueue(_ message: ByteBuffer, in direction: inout Direction, rateKbit: Double?) -> NIODeadline {
        let total = message.readableBytes
        let bytesPerSecond = rateKbit.map { $0 * 1000 / 8 }
        var chunk = max(total, 1)
        if !datagrams, let bytesPerSecond {
            chunk = min(65536, max(1, Int(bytesPerSecond * (Self.tick / .seconds(1)))))
        }
        let now = NIODeadline.now()
        var offset = 0
        repeat {
            let length = min(chunk, total - offset)
            let part = datagrams || length == total ? message : message.getSlice(at: message.readerIndex + offset, length: length)!
            offset += length
            var departs = max(now, direction.busyUntil)
            if let bytesPerSecond {
                departs = departs + .nanoseconds(Int64((Double(length) / bytesPerSecond * 1e9).rounded()))
            }
            direction.busyUntil = departs
            let latency = network.latency()
            let due = max(departs + latency.timeAmount, direction.lastDue)
            append(.data(part), to: &direction, due: due, size: length)
        } while offset < total
        return direction.busyUntil
    }

    private func append(_ item: Item, to direction: inout Direction, due: NIODeadline, size: Int = 0) {
        direction.queue.append((due, item))
        direction.queuedBytes += size
        direction.lastDue = due
    }

    private func take(from direction: inout Direction) -> Item {
        let (_, item) = direction.queue[direction.head]
        direction.head += 1
        if case .data(let message) = item { direction.queuedBytes -= message.readableBytes }
        if direction.head == direction.queue.count {
            direction.queue.removeAll(keepingCapacity: direction.queue.count <= 1024)
            direction.head = 0
        } else if direction.head >= 1024 {
            direction.queue.removeFirst(direction.head)
            direction.head = 0
        }
        return item
    }

    private func schedule(_ direction: inout Direction, _ drain: @escaping (LinkShaper) -> Void) {
        guard direction.timer == nil, !direction.isEmpty else { return }
        let due = direction.queue[direction.head].due
        direction.timer = eventLoop.assumeIsolated().scheduleTask(deadline: due) { [self] in drain(self) }
    }
}


/// The modem's end of a shaped link: what the network delivers, at the time it arrives.
protocol LinkReceiver: AnyObject {
    /// A stream chunk or one datagram reached the modem.
    func linkReceived(_ bytes: [UInt8])
    /// The peer closed (FIN or reset) or the socket closed under the link, after all its data.
    func linkClosed()
}

extension LinkShaper where Inbound == ByteBuffer {
    /// The shaper of a TCP link.
    convenience init(streamOn network: NetworkSimulation, eventLoop: any EventLoop, to receiver: any LinkReceiver) {
        self.init(network: network, eventLoop: eventLoop, receiver: receiver, datagrams: false) { $0 }
    }
}

extension LinkShaper where Inbound == AddressedEnvelope<ByteBuffer> {
    /// The shaper of a UDP link.
    convenience init(
        datagramsOn network: NetworkSimulation, eventLoop: any EventLoop, to receiver: any LinkReceiver
    ) {
        self.init(network: network, eventLoop: eventLoop, receiver: receiver, datagrams: true) { $0.data }
    }
}
