import ModemCore

/// The network side of the trace: what the modem asked the network to do and what the network
/// did, in a few words (data itself is on the serial side).
extension VirtualModem {
    static func traceText(_ action: ModemAction) -> String? {
        switch action {
        case .activateContext(let apn, _, _): "activate PDP context (APN \(apn))"
        case .deactivateContext: "deactivate PDP context"
        case .connect(let id, let transport, let host, let port): "\(id) \(transport.rawValue) connect to \(host):\(port)"
        case .close(let id, let graceful): "\(id) close\(graceful ? "" : " (quick)")"
        case .listen(let port): "listen on port \(port)"
        case .stopListening: "stop listening"
        case .activateBearer(let profile, let apn): "open bearer \(profile) (APN \(apn))"
        case .deactivateBearer(let profile): "close bearer \(profile)"
        default: nil
        }
    }

    static func traceText(_ event: NetworkEvent) -> String? {
        switch event {
        case .contextActivated(let address): "PDP context active, address \(address)"
        case .contextActivationFailed: "PDP context activation refused"
        case .contextDeactivated: "PDP context deactivated by the network"
        case .connected(let id, let address): "\(id) connected to \(address)"
        case .connectFailed(let id): "\(id) connection failed"
        case .remoteClosed(let id): "\(id) closed by the peer"
        case .closed(let id): "\(id) closed"
        case .incomingConnection(_, let address, let port): "incoming connection from \(address):\(port)"
        case .registrationChanged(let registered): registered ? "registered" : "registration lost"
        default: nil
        }
    }
}
