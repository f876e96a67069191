import ModemProtocol

/// Where every network event and timer firing goes: one transition each.
extension Modem {
    mutating func networkEvent(_ event: NetworkEvent) {
        switch event {
        case .contextActivated(let address): contextActivated(localAddress: address)
        case .contextActivationFailed: contextActivationFailed()
        case .contextDeactivated: contextDeactivatedByNetwork()
        case .connected(let connection, let address): connected(connection, remoteAddress: address)
        case .connectFailed(let connection): connectFailed(connection)
        case .received(let connection, let bytes): received(bytes, on: connection)
        case .sent(let connection, let count): sent(count, on: connection)
        case .remoteClosed(let connection): remoteClosed(connection)
        case .closed(let connection): closeFinished(connection)
        case .listening(let port): listening(port: port)
        case .listenFailed(let port): listenFailed(port: port)
        case .incomingConnection(let token, let address, let port):
            incomingConnection(token: token, address: address, port: port)
        case .resolved(let query, let addresses): resolved(query: query, addresses: addresses)
        case .bearerActivated(let profile, let address): bearerActivated(profile: profile, localAddress: address)
        case .bearerActivationFailed(let profile): bearerActivationFailed(profile: profile)
        case .pingCompleted(let query, let address, let roundTrips):
            pingCompleted(query: query, address: address, roundTrips: roundTrips)
        case .registrationChanged(let available):
            guard radio.setNetworkAvailable(available) else { break }
            if radio.registered {
                registered()
            } else {
                releaseCall()
                registrationChanged()
            }
        case .signalChanged(let rssi):
            radio.setSignal(rssi: rssi)
        }
    }

    mutating func timerEvent(_ timer: ModemTimer) {
        switch timer {
        case .activation: contextActivationFailed()
        case .connect(let connection): connectFailed(connection)
        case .close(let connection): closeFinished(connection)
        case .send(let connection): sendFailed(on: connection, timedOut: true)
        case .dnsQuery(let query): resolved(query: query, addresses: [])
        case .bearerActivation(let profile): bearerActivationFailed(profile: profile)
        case .ping(let query): pingTimedOut(query: query)
        case .escapeGuard: escapeGuardElapsed()
        case .powerUp: powerUpTimerFired()
        case .callUnanswered: callUnanswered()
        case .httpData: httpDataTimedOut()
        case .response:
            if case .awaitingResponse(let text) = interpreter.activity { complete(with: .final(text)) }
        }
    }
}
