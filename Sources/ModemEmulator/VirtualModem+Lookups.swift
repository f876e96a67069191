import ModemCore
import NIOCore
import NIOPosix
import ModemProtocol

/// Name lookups (`AT+CDNSGIP`, `AT+CIPSTART` with a name) and `AT+CIPPING`, timed as the network
/// answers them. Event loop only.
extension VirtualModem {
    /// Round trips for `AT+CIPPING`, measured as the time a TCP connection attempt to port 7 (echo)
    /// of the resolved address takes to be answered, accepted or refused: the answer to a SYN is
    /// one network round trip, and it needs no raw-socket privileges as ICMP would.
    func ping(query: UInt64, host: String, count: Int, timeout: Duration) {
        resolve(host).whenComplete { result in
            guard case .success(let addresses) = result, let address = addresses.first,
                let target = try? SocketAddress(ipAddress: address, port: 7)
            else {
                self.submit(.network(.pingCompleted(query: query, address: nil, roundTrips: [])))
                return
            }
            // A ping is an outbound connection like any link's: outside --allow, no packet leaves and
            // no reply comes.
            guard self.simulation.allows(host: host, address: address) else {
                self.logAllowListRefusal("AT+CIPPING to \(host) (\(address)) not sent")
                let none = [Duration?](repeating: nil, count: count)
                self.submit(.network(.pingCompleted(query: query, address: address, roundTrips: none)))
                return
            }
            self.pingAttempts(to: target, remaining: count, timeout: timeout, results: []) { roundTrips in
                self.submit(.network(.pingCompleted(query: query, address: address, roundTrips: roundTrips)))
            }
        }
    }

    private func pingAttempts(
        to target: SocketAddress, remaining: Int, timeout: Duration, results: [Duration?],
        done: @escaping @Sendable ([Duration?]) -> Void
    ) {
        guard remaining > 0, !isShutDown else {
            done(results)
            return
        }
        let start = NIODeadline.now()
        ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout.timeAmount)
            .connect(to: target)
            .whenComplete { result in
                let elapsed = self.simulation.pingRoundTrip(
                    measured: .nanoseconds((NIODeadline.now() - start).nanoseconds))
                var reply: Duration?
                switch result {
                case .success(let channel):
                    channel.close(promise: nil)
                    reply = elapsed
                case .failure(let error):
                    if let error = error as? IOError, error.errnoCode == ECONNREFUSED { reply = elapsed }
                }
                self.pingAttempts(
                    to: target, remaining: remaining - 1, timeout: timeout, results: results + [reply], done: done)
            }
    }

    /// A name lookup as the network answers it: the resolver's answer, given after the network's
    /// lookup time (an address needs no lookup).
    func lookUp(_ host: String) -> EventLoopFuture<[String]> {
        guard let delay = simulation.lookupDelay(of: host) else { return resolve(host) }
        let answer = eventLoop.makePromise(of: [String].self)
        let lookup = resolve(host)
        eventLoop.scheduleTask(in: delay.timeAmount) { answer.completeWith(lookup) }
        return answer.futureResult
    }

    private func resolve(_ host: String) -> EventLoopFuture<[String]> {
        if IPv4Address(host) != nil { return eventLoop.makeSucceededFuture([host]) }
        return NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) { HostResolver.ipv4Addresses(of: host) }
    }
}
