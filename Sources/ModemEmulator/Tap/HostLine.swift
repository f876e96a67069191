#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore
import NIOPosix

/// The serial line a program in front of a host offers it (`modem tap`, `modem replay`): a new
/// pseudo-terminal (with an optional symlink, owned through a ``PathLock`` and removed on close) or a
/// TCP port that takes one client at a time, as ``SerialEndpoint`` does for the emulator.
struct HostLine: Sendable {
    /// Where the host finds the line.
    let address: SerialEndpointAddress
    /// Closes the line (and the listener), removes the symlink.
    let close: @Sendable () async -> Void

    /// Opens the line of `kind` (`.pty` or `.listen`) on `eventLoop`. `attach` is called on the event
    /// loop with each host's channel to add its handlers; it returns `false` when a host is already
    /// attached, and the new TCP client is then told the line is busy and closed.
    static func open(
        _ kind: SerialEndpointKind, on eventLoop: any EventLoop, logger: Logger,
        attach: @escaping @Sendable (any Channel) throws -> Bool
    ) async throws -> HostLine {
        switch kind {
        case .pty(let link):
            return try await openPTY(
                on: eventLoop, link: link, lockingLink: true, name: "host line", logger: logger, attach: attach)
        case .listen(let host, let port):
            return try await listen(host: host, port: port, on: eventLoop, logger: logger) { channel, _ in
                try attach(channel)
            }
        case .stdio, .none:
            throw EmulatorError.invalidOption("the host's line is a pseudo-terminal (--pty) or a TCP port (--listen)")
        }
    }

    /// A new PTY whose master `attach` is given; the slave path is the address. With `lockingLink`,
    /// the `--link` path is taken with a ``PathLock`` for as long as the line is open.
    static func openPTY(
        on eventLoop: any EventLoop, link linkPath: String?, lockingLink: Bool, name: String, logger: Logger,
        attach: @escaping @Sendable (any Channel) throws -> Bool
    ) async throws -> HostLine {
        let lock: PathLock? =
            lockingLink ? try linkPath.map { path throws(EmulatorError) in try PathLock.acquire(path) } : nil
        let terminal: PseudoTerminal
        let channel: any Channel
        do {
            terminal = try PseudoTerminal.open()
            do {
                channel = try await NIOPipeBootstrap(group: eventLoop)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { _ = try attach(channel) }
                    }
                    .takingOwnershipOfDescriptor(inputOutput: terminal.master).get()
            } catch {
                Glibc.close(terminal.master)
                Glibc.close(terminal.slave)
                throw error
            }
        } catch {
            lock?.release()
            throw error
        }
        var link: DeviceLink?
        if let linkPath {
            do {
                link = try DeviceLink.create(at: linkPath, to: terminal.path)
            } catch {
                try? await channel.close()
                Glibc.close(terminal.slave)
                lock?.release()
                throw error
            }
        }
        logger.info("\(name) on \(terminal.path)\(linkPath.map { " (link \($0))" } ?? "")")
        let slave = terminal.slave
        let linkToRemove = link
        return HostLine(address: .pty(path: terminal.path)) {
            try? await channel.close()
            Glibc.close(slave)
            linkToRemove?.remove()
            lock?.release()
        }
    }

    /// What the log calls the line, its clients, and the risk of a line on a public address.
    struct Naming: Sendable {
        var line = "host line"
        var client = "host"
        var exposure = "anyone who can reach it talks to the module"
    }

    /// A TCP port on `host` (port 0: a free one) taking one client at a time: `attach` is given each
    /// client's channel and its address and returns `false` while another client is attached; the
    /// new one is then told the line is busy and closed.
    static func listen(
        host: String, port: Int, on eventLoop: any EventLoop, naming: Naming = Naming(), modem: Int = 0,
        logger: Logger, attach: @escaping @Sendable (any Channel, String) throws -> Bool
    ) async throws -> HostLine {
        let address = SerialEndpointAddress.tcp(host: host, port: port).description
        if !SerialEndpoint.isLoopback(host) {
            logger.warning("the \(naming.line) listens on \(host), which is not a loopback address: \(naming.exposure)")
        }
        let server: any Channel
        do {
            server = try await ServerBootstrap(group: eventLoop, childGroup: eventLoop)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { child in
                    child.eventLoop.makeCompletedFuture {
                        let peer = child.remoteAddress.map { "\($0)" } ?? "?"
                        guard try attach(child, peer) else {
                            logger.warning("\(naming.client) \(peer) refused: another host is attached")
                            try child.pipeline.syncOperations.addHandler(BusyLineHandler())
                            return
                        }
                        logger.info("\(naming.client) \(peer) attached")
                    }
                }
                .bind(host: host, port: port).get()
        } catch let error as IOError {
            throw EmulatorError.cannotListen(address: address, modem: modem, errno: error.errnoCode)
        } catch is SocketAddressError {
            throw EmulatorError.unknownHost(host)
        } catch is SocketAddressError.UnknownHost {
            throw EmulatorError.unknownHost(host)
        }
        let boundPort = server.localAddress?.port ?? port
        logger.info("\(naming.line) on tcp://\(SerialEndpointAddress.tcp(host: host, port: boundPort))")
        return HostLine(address: .tcp(host: host, port: boundPort)) {
            try? await server.close()
        }
    }
}
