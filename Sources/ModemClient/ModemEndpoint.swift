import Logging
import NIOCore
import NIOPosix

/// Where the module is: a serial device, or a TCP socket that carries the serial line raw
/// (ser2net in raw mode, or `modem emulate --listen`).
public enum ModemEndpoint: Equatable, Sendable {
    /// A serial device.
    case serial(SerialPortConfiguration)
    /// A raw TCP socket.
    case tcp(host: String, port: Int)

    /// Opens the transport with a ``CommandEngineHandler`` at the end of its pipeline.
    func openChannel(group: any EventLoopGroup, logger: Logger) async throws(ModemClientError) -> any Channel {
        let initializer: @Sendable (any Channel) -> EventLoopFuture<Void> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(CommandEngineHandler(logger: logger))
            }
        }
        switch self {
        case .serial(let configuration):
            let descriptor = try SerialPort.open(configuration)
            do {
                return try await NIOPipeBootstrap(group: group)
                    .channelInitializer(initializer)
                    .takingOwnershipOfDescriptor(inputOutput: descriptor)
                    .get()
            } catch {
                // On failure the descriptor is still ours.
                _ = SerialPort.closeDescriptor(descriptor)
                throw .deviceError(path: configuration.path, reason: "\(error)")
            }
        case .tcp(let host, let port):
            do {
                return try await ClientBootstrap(group: group)
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .connectTimeout(.seconds(10))
                    .channelInitializer(initializer)
                    .connect(host: host, port: port)
                    .get()
            } catch {
                throw .connectionFailed(host: host, port: port, reason: Self.reason(error))
            }
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? IOError { return error.description }
        if let error = error as? NIOConnectionError {
            return error.connectionErrors.first.map { "\($0.error)" } ?? "\(error)"
        }
        return "\(error)"
    }
}

extension ModemEndpoint: CustomStringConvertible {
    /// `/dev/ttyUSB0 @ 115200` or `tcp://host:port`.
    public var description: String {
        switch self {
        case .serial(let configuration): "\(configuration.path) @ \(configuration.baudRate)"
        case .tcp(let host, let port): "tcp://\(host):\(port)"
        }
    }
}
