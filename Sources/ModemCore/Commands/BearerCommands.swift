import ModemProtocol

/// One bearer profile of `AT+SAPBR` (SIM800 manual §9.2.1), used by the HTTP/FTP path and by
/// drivers that check the bearer before TCP/IP work.
public struct BearerProfile: Equatable, Sendable {
    /// `<Status>` of `AT+SAPBR=2,<cid>`.
    public enum Status: Int, Equatable, Sendable {
        case connecting = 0, connected = 1, closing = 2, closed = 3
    }

    /// CONTYPE, APN, USER, PWD, PHONENUM, RATE, by upper-case tag.
    public var parameters: [String: String] = ["CONTYPE": "GPRS", "APN": "", "USER": "", "PWD": "", "PHONENUM": "", "RATE": "2"]
    public var status = Status.closed
    public var address = "0.0.0.0"

    static let tags = ["CONTYPE", "APN", "PHONENUM", "USER", "PWD", "RATE"]
}

/// `AT+SAPBR` bearer profiles and `AT+CIPPING`.
extension Modem {
    /// Bearer profiles 1–3.
    static let bearerProfiles = 1...3

    mutating func executeBearer(_ command: ATCommand) -> CommandOutcome? {
        switch command.name {
        case "+SAPBR": return sapbr(command)
        case "+CIPPING": return cipping(command)
        default: return nil
        }
    }

    private mutating func sapbr(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info("+SAPBR: (0-4),(1-3),\"ConParamTag\",\"ConParamValue\"")
            return .ok
        case .read, .execute:
            return .error(nil)
        case .write(let arguments):
            guard arguments.count >= 2, let type = command.integer(0, in: 0...4),
                let profile = command.integer(1, in: Self.bearerProfiles)
            else { return .error(nil) }
            var bearer = bearers[profile] ?? BearerProfile()
            switch type {
            case 3:
                guard arguments.count == 4, let tag = arguments[2].text?.uppercased(), BearerProfile.tags.contains(tag),
                    let value = arguments[3].text, value.utf8.count <= 64
                else { return .error(nil) }
                bearer.parameters[tag] = value
                bearers[profile] = bearer
                return .ok
            case 4:
                guard arguments.count == 2 else { return .error(nil) }
                info("+SAPBR:")
                for tag in BearerProfile.tags { info("\(tag): \(bearer.parameters[tag] ?? "")") }
                return .ok
            case 2:
                guard arguments.count == 2 else { return .error(nil) }
                info("+SAPBR: \(profile),\(bearer.status.rawValue),\"\(bearer.address)\"")
                return .ok
            case 1:
                guard arguments.count == 2, bearer.status == .closed, radio.registered else {
                    return .error(.operationNotAllowed)
                }
                bearer.status = .connecting
                bearers[profile] = bearer
                act(.activateBearer(profile: profile, apn: bearer.parameters["APN"] ?? ""))
                act(.startTimer(.bearerActivation(profile: profile), after: configuration.timeouts.activation))
                activity = .openingBearer(profile: profile)
                return .waiting
            default:
                guard arguments.count == 2, bearer.status == .connected else { return .error(.operationNotAllowed) }
                bearer.status = .closed
                bearer.address = "0.0.0.0"
                bearers[profile] = bearer
                act(.deactivateBearer(profile: profile))
                return .ok
            }
        }
    }

    mutating func bearerActivated(profile: Int, localAddress: String) {
        guard activity == .openingBearer(profile: profile) else { return }
        act(.cancelTimer(.bearerActivation(profile: profile)))
        bearers[profile]?.status = .connected
        bearers[profile]?.address = localAddress
        complete(with: .ok)
    }

    mutating func bearerActivationFailed(profile: Int) {
        guard activity == .openingBearer(profile: profile) else { return }
        act(.cancelTimer(.bearerActivation(profile: profile)))
        bearers[profile]?.status = .closed
        complete(with: .error(nil))
    }

    /// The packet domain went down (the network dropped it, or `AT+CFUN=0`): open bearers close
    /// with `+SAPBR <cid>: DEACT`.
    mutating func bearersLost() {
        for profile in bearers.keys.sorted() where bearers[profile]?.status == .connected {
            bearers[profile]?.status = .closed
            bearers[profile]?.address = "0.0.0.0"
            act(.deactivateBearer(profile: profile))
            emitURC("+SAPBR \(profile): DEACT")
        }
    }

    /// `AT+CIPPING=<host>[,<retries>[,<size>[,<timeout>[,<ttl>]]]]` (SIM800 manual §8.2.23): one
    /// `+CIPPING: <n>,"<ip>",<replyTime>,<ttl>` line per attempt, then `OK`. `<replyTime>` is in
    /// units of 100 ms; an attempt without a reply shows 600 and TTL 255.
    private mutating func cipping(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info("+CIPPING: (1-100),(1-1024),(1-600),(1-255)")
            return .ok
        case .read:
            info("+CIPPING: 4,32,100,64")
            return .ok
        case .execute:
            return .error(nil)
        case .write(let arguments):
            guard (1...5).contains(arguments.count), let host = arguments[0].text, !host.isEmpty,
                host.utf8.count <= 255
            else { return .error(.operationNotAllowed) }
            let ranges = [1...100, 1...1024, 1...600, 1...255]
            var values = [4, 32, 100, 64]
            for index in 1..<arguments.count {
                if arguments[index] == .empty { continue }
                guard let value = command.integer(index, in: ranges[index - 1]) else {
                    return .error(.operationNotAllowed)
                }
                values[index - 1] = value
            }
            guard context.isActive else { return .error(.operationNotAllowed) }
            let query = nextQuery
            nextQuery += 1
            let timeout = Duration.milliseconds(values[2] * 100)
            pingTTL = values[3]
            act(.ping(query: query, host: host, count: values[0], timeout: timeout))
            act(.startTimer(.ping(query), after: timeout * values[0] + .seconds(5)))
            activity = .pinging(query: query)
            return .waiting
        }
    }

    mutating func pingCompleted(query: UInt64, address: String?, roundTrips: [Duration?]) {
        guard activity == .pinging(query: query) else { return }
        act(.cancelTimer(.ping(query)))
        guard let address else {
            complete(with: .error(.operationNotAllowed))
            return
        }
        for (index, roundTrip) in roundTrips.enumerated() {
            if let roundTrip {
                // Round up to the next 100 ms unit: a reply is never reported as taking no time.
                let units = max(1, Int((roundTrip / .milliseconds(100)).rounded(.up)))
                info("+CIPPING: \(index + 1),\"\(address)\",\(units),\(pingTTL)")
            } else {
                info("+CIPPING: \(index + 1),\"\(address)\",600,255")
            }
        }
        complete(with: .ok)
    }

    mutating func pingTimedOut(query: UInt64) {
        guard activity == .pinging(query: query) else { return }
        complete(with: .error(nil))
    }
}
