import ModemCore
import NIOCore
import NIOPosix

/// The `AT+CIPSERVER` socket: listening, and handing each incoming connection to the core, which
/// decides whether a link takes it. Event loop only.
extension VirtualModem {
    func listen(port: Int) {
        serverGeneration += 1
        let generation = serverGeneration
        let host = configuration.serverBindHost
        ServerBootstrap(group: eventLoop, childGroup: eventLoop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.socketOption(.so_sndbuf), value: Self.linkSocketSendBuffer)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    let socket = LinkSocket(id: nil, transport: .tcp)
                    socket.channel = child
                    try self.addStreamHandlers(to: child, socket: socket)
                }
            }
            .bind(host: host, port: port)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    guard self.serverGeneration == generation, !self.isShutDown else {
                        channel.close(promise: nil)
                        return
                    }
                    self.serverChannel = channel
                    self.logger.info("AT+CIPSERVER listening on \(host):\(port)")
                    self.submit(.network(.listening(port: port)))
                case .failure(let error):
                    guard self.serverGeneration == generation else { return }
                    self.logger.warning("AT+CIPSERVER cannot listen on \(host):\(port): \(error)")
                    self.submit(.network(.listenFailed(port: port)))
                }
            }
    }

    func stopListening() {
        serverGeneration += 1
        serverChannel?.close(promise: nil)
        serverChannel = nil
    }

    /// A peer connected to the server socket; the core decides whether a link takes it.
    func incomingActive(_ socket: LinkSocket, remote: SocketAddress?) {
        let token = nextToken
        nextToken += 1
        incoming[token] = socket
        submit(
            .network(
                .incomingConnection(token: token, address: remote?.ipAddress ?? "0.0.0.0", port: remote?.port ?? 0)))
    }

    /// The core gave the incoming connection `token` the link `id`.
    func accept(_ token: UInt64, as id: ConnectionID) {
        guard let socket = incoming.removeValue(forKey: token), socket.channel?.isActive == true else {
            submit(.network(.remoteClosed(id)))
            return
        }
        socket.id = id
        sockets[id] = socket
        updateReading(socket)
    }
}
