import NIOCore

/// The end of a script on `--stdio` (stdin is a file): the line stays open until the modem has
/// answered it, that is until no command is running and it has written nothing for
/// ``quietPeriod``, then it ends as a closed stdin does.
///
/// Without this, `modem emulate --stdio < script` would stop at the end of the file, before the
/// replies to commands that take time (`AT+CIICR`, `AT+CIPSTART`) were written.
enum ScriptEnd {
    /// How long the modem must have been silent.
    static let quietPeriod = TimeAmount.milliseconds(500)
    /// How often the modem is looked at once the file has ended.
    static let checkInterval = TimeAmount.milliseconds(100)

    /// Waits for the end of `input`'s file, then for the modem to be idle, then ends the line.
    static func endLine(
        of input: StdioSide, after activity: OutputActivity, channel: any Channel, modem: VirtualModem
    ) async {
        await input.finished()
        let loop = channel.eventLoop
        while channel.isActive {
            let quiet = (try? await loop.submit { NIODeadline.now() - activity.lastWrite }.get()) ?? quietPeriod
            let busy = (try? await modem.snapshot().isBusy) ?? false
            if quiet >= quietPeriod, !busy { break }
            try? await loop.scheduleTask(in: checkInterval) {}.futureResult.get()
        }
        input.endLine()
    }
}

/// Notes when the modem last wrote to its serial line (an outbound handler on the line's channel).
final class OutputActivity: ChannelOutboundHandler, @unchecked Sendable {
    // @unchecked: `lastWrite` is only used on the channel's event loop.
    typealias OutboundIn = ByteBuffer

    private(set) var lastWrite = NIODeadline.now()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        lastWrite = .now()
        context.write(data, promise: promise)
    }
}
