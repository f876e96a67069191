#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore
import NIOPosix
import ModemProtocol

/// Where a modem's serial line is: one kind per run.
public enum SerialEndpointKind: Sendable, Equatable {
    /// A pseudo-terminal, optionally with a symlink at `link`.
    case pty(link: String?)
    /// Raw TCP, one client at a time (like ser2net); with `--count` modem i listens on `port + i`
    /// (port 0: each modem takes an ephemeral port).
    case listen(host: String, port: Int)
    /// The process's stdin and stdout.
    case stdio
    /// No serial line (tests that drive a modem through its API only).
    case none
}

/// Where a host finds a running modem's serial line.
public enum SerialEndpointAddress: Sendable, Equatable, CustomStringConvertible {
    case pty(path: String)
    case tcp(host: String, port: Int)
    case stdio
    case none

    public var description: String {
        switch self {
        case .pty(let path): path
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .stdio: "stdio"
        case .none: "none"
        }
    }
}

/// An open serial endpoint.
struct SerialEndpoint: Sendable {
    let address: SerialEndpointAddress
    let close: @Sendable () async -> Void

    /// Opens the endpoint of `kind` for `modem`. `lineGone` is called when a PTY or stdio line ends
    /// for good (stdin reached EOF, the master failed).
    static func open(
        _ kind: SerialEndpointKind, for modem: VirtualModem, lineGone: @escaping @Sendable () -> Void
    ) async throws -> SerialEndpoint {
        switch kind {
        case .pty(let linkPath): return try await openPTY(for: modem, link: linkPath, lineGone: lineGone)
        case .listen(let host, let port): return try await listen(host: host, port: port, for: modem)
        case .stdio: return try await openStdio(for: modem, lineGone: lineGone)
        case .none: return SerialEndpoint(address: .none, close: {})
        }
    }

    /// A bootstrap for a PTY or stdio serial line of `modem`.
    private static func serialLine(
        for modem: VirtualModem, watching activity: OutputActivity? = nil, lineGone: @escaping @Sendable () -> Void
    ) -> NIOPipeBootstrap {
        NIOPipeBootstrap(group: modem.eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let activity { try channel.pipeline.syncOperations.addHandler(activity) }
                    try channel.pipeline.syncOperations.addHandler(SerialChannelHandler(modem: modem, onClose: lineGone))
                }
            }
    }

    private static func openPTY(
        for modem: VirtualModem, link linkPath: String?, lineGone: @escaping @Sendable () -> Void
    ) async throws -> SerialEndpoint {
        // The emulator holds the `--link` path's lock itself (Emulator.start), for every endpoint.
        let line = try await HostLine.openPTY(
            on: modem.eventLoop, link: linkPath, lockingLink: false, name: "serial line", logger: modem.logger
        ) { channel in
            try channel.pipeline.syncOperations.addHandler(SerialChannelHandler(modem: modem, onClose: lineGone))
            return true
        }
        return SerialEndpoint(address: line.address, close: line.close)
    }

    /// Whether `host` is a loopback name or address.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || IPv4Address(host)?.isLoopback == true
    }

    private static func listen(host: String, port: Int, for modem: VirtualModem) async throws -> SerialEndpoint {
        let naming = HostLine.Naming(
            line: "serial line", client: "serial client",
            exposure: "anyone who can reach it can drive the modem and open connections through it")
        let line = try await HostLine.listen(
            host: host, port: port, on: modem.eventLoop, naming: naming, modem: modem.index, logger: modem.logger
        ) { child, peer in
            // One host at a time, as on a real UART: a second client is told so and closed.
            guard !modem.hasSerialHost else { return false }
            try child.pipeline.syncOperations.addHandler(
                SerialChannelHandler(modem: modem) {
                    modem.logger.info("serial client \(peer) left; the modem keeps its state and links")
                })
            return true
        }
        return SerialEndpoint(address: line.address, close: line.close)
    }

    private static func openStdio(
        for modem: VirtualModem, lineGone: @escaping @Sendable () -> Void
    ) async throws -> SerialEndpoint {
        // NIO polls pipes, sockets and terminals; a regular file or /dev/null cannot be polled, so
        // a thread copies between it and a pipe that NIO polls (the pipe's buffer bounds the copy).
        signal(SIGPIPE, SIG_IGN)
        let input = try StdioSide.input(STDIN_FILENO, done: modem.eventLoop.makePromise())
        let output: StdioSide
        do {
            output = try StdioSide.output(STDOUT_FILENO, done: modem.eventLoop.makePromise())
        } catch {
            input.abandon()
            throw error
        }
        let terminal = isatty(STDIN_FILENO) == 1 ? TerminalMode.makeRaw(STDIN_FILENO) : nil
        let activity = input.copiesAFile ? OutputActivity() : nil
        let channel: any Channel
        do {
            channel = try await serialLine(for: modem, watching: activity, lineGone: lineGone)
                .takingOwnershipOfDescriptors(input: input.descriptor, output: output.descriptor).get()
        } catch {
            terminal?.restore()
            input.abandon()
            output.abandon()
            throw EmulatorError.stdio("stdin/stdout", errno: (error as? IOError)?.errnoCode ?? EINVAL)
        }
        input.start()
        output.start()
        if let activity {
            Task { await ScriptEnd.endLine(of: input, after: activity, channel: channel, modem: modem) }
        }
        modem.logger.info(
            "serial line on stdin (\(input.kind)) and stdout (\(output.kind))\(terminal == nil ? "" : "; Ctrl-C quits")")
        return SerialEndpoint(address: .stdio) {
            try? await channel.close()
            input.endLine()
            // Everything the modem wrote reaches a file stdout before the run ends.
            await output.finished()
            terminal?.restore()
        }
    }
}

/// Refuses a second `--listen` client: one line saying why, like ser2net's banner, then the close.
///
/// The banner is followed by a FIN, and what the client sends is read and dropped until it closes
/// too (or ``linger`` passes): closing with unread input would reset the connection, and a reset can
/// destroy the banner before the client reads it.
final class BusyLineHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let message = "modem busy: another host is attached\r\n"
    static let linger = TimeAmount.seconds(2)

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        context.writeAndFlush(NIOAny(ByteBuffer(string: Self.message))).whenComplete { _ in
            channel.close(mode: .output, promise: nil)
            channel.eventLoop.scheduleTask(in: Self.linger) { channel.close(promise: nil) }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
