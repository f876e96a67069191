import ModemProtocol
import NIOCore

/// The two sides of a tap on one event loop: every byte one side reads is written to the other
/// unchanged and flushed at once (not at the end of the read burst, which costs one more read call
/// first), and recorded in the trace (bytes read from the module
/// as `module`, from the host as `host`).
///
/// Back-pressure (STYLE.md §2b): a side is read only while the other side is there and writable;
/// otherwise its read is held and issued when the other side becomes writable again or a host
/// attaches. While no host is attached (a `--listen` line without a client) the module is not
/// read: its bytes wait in the device's buffer, as they would on a UART nobody reads. Used only on
/// its event loop.
final class TapRelay {
    private var module: TapSide?
    private var host: TapSide?
    private var trace: TraceWriter?
    /// Called once when the module's line closes (the device went away).
    private let moduleGone: () -> Void

    init(trace: TraceWriter?, moduleGone: @escaping () -> Void) {
        self.trace = trace
        self.moduleGone = moduleGone
    }

    /// Whether a host is attached (the TCP line takes one at a time).
    var hasHost: Bool { host != nil }

    /// A new side's handler, for the module's channel or a host's.
    func side(_ role: TapSide.Role) -> TapSide {
        TapSide(role: role, relay: self)
    }

    func attached(_ side: TapSide) {
        switch side.role {
        case .module: module = side
        case .host: host = side
        }
        // The other side may have held a read while this one was missing.
        partner(of: side)?.resumeReading()
    }

    func detached(_ side: TapSide) {
        switch side.role {
        case .module:
            guard module === side else { return }
            module = nil
            moduleGone()
        case .host:
            guard host === side else { return }
            host = nil
        }
    }

    func received(_ buffer: ByteBuffer, on side: TapSide) {
        switch side.role {
        case .module: trace?.module(buffer.readableBytesView)
        case .host: trace?.host(buffer.readableBytesView)
        }
        partner(of: side)?.write(buffer)
    }

    /// Whether `side` may read now: the bytes it reads have somewhere to go.
    func mayRead(_ side: TapSide) -> Bool {
        partner(of: side)?.isWritable ?? false
    }

    func writabilityChanged(_ side: TapSide) {
        if side.isWritable { partner(of: side)?.resumeReading() }
    }

    /// Writes what the trace holds as `other` records and closes it.
    func finishTrace() {
        trace?.close()
        trace = nil
    }

    private func partner(of side: TapSide) -> TapSide? {
        switch side.role {
        case .module: host
        case .host: module
        }
    }
}

// Confined to its event loop.
extension TapRelay: @unchecked Sendable {}

/// One side of a tap (the module's device or the host's line): hands what it reads to the
/// ``TapRelay`` and holds its reads while the other side cannot take more.
final class TapSide: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Which end of the serial line this side is.
    enum Role {
        case module, host
    }

    let role: Role
    private let relay: TapRelay
    private var context: ChannelHandlerContext?
    private var readHeld = false

    fileprivate init(role: Role, relay: TapRelay) {
        self.role = role
        self.relay = relay
    }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func write(_ buffer: ByteBuffer) {
        context?.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    /// Issues a read that was held.
    func resumeReading() {
        guard readHeld, let context, relay.mayRead(self) else { return }
        readHeld = false
        context.read()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        relay.attached(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        relay.detached(self)
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        relay.received(unwrapInboundIn(data), on: self)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        relay.writabilityChanged(self)
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if relay.mayRead(self) {
            context.read()
        } else {
            readHeld = true
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        relay.detached(self)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // The other end closed (a TCP host's FIN, the device's EOF): this side is gone.
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
