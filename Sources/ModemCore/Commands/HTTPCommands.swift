import ModemProtocol

/// The HTTP application (SIM800 manual chapter 11: `AT+HTTPINIT`, `AT+HTTPPARA`, `AT+HTTPDATA`
/// with its `DOWNLOAD` phase, `AT+HTTPACTION`, `AT+HTTPREAD`, `AT+HTTPSTATUS`, `AT+HTTPTERM`) and
/// the SSL switches (`AT+HTTPSSL`, `AT+SSLOPT`, `AT+CIPSSL`; SIM800 SSL application note).
///
/// The core has no HTTP client: `AT+HTTPACTION` answers `OK`, then `+HTTPACTION: <method>,601,0`,
/// the status a real module reports when the network does not carry the request
/// (docs/compatibility.md). Everything before and after it follows the manual.
extension Modem {
    mutating func executeHTTP(_ command: ATCommand) -> CommandOutcome? {
        switch command.name {
        case "+HTTPINIT", "+HTTPTERM":
            return executeOnly(command) { modem in
                let done = command.name == "+HTTPINIT" ? modem.http.initialise() : modem.http.terminate()
                return done ? .ok : .error(nil)
            }
        case "+HTTPPARA": return httppara(command)
        case "+HTTPDATA": return httpdata(command)
        case "+HTTPACTION": return httpaction(command)
        case "+HTTPREAD": return httpread(command)
        case "+HTTPSTATUS":
            guard command.form == .read else { return command.form == .test ? .ok : .error(nil) }
            let methods = ["GET", "POST", "HEAD", "DELETE"]
            info("+HTTPSTATUS: \(methods[http.response?.method ?? 0]),0,0,0")
            return .ok
        case "+HTTPSSL":
            return storedSetting(command, range: 0...1, initial: 0)
        case "+SSLOPT": return sslopt(command)
        case "+CIPSSL": return cipssl(command)
        default: return nil
        }
    }

    /// `AT+HTTPPARA="<tag>",<value>` (§11.2.3), after `AT+HTTPINIT`.
    private mutating func httppara(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info("+HTTPPARA: \"HTTPParamTag\",\"HTTPParamValue\"")
            return .ok
        case .read:
            guard http.initialised else { return .error(nil) }
            info("+HTTPPARA:")
            for tag in HTTPSession.defaults.keys.sorted() { info("\(tag): \(http.parameters[tag] ?? "")") }
            return .ok
        case .execute: return .error(nil)
        case .write(let arguments):
            guard http.initialised, arguments.count == 2, let tag = arguments[0].text?.uppercased(),
                HTTPSession.defaults[tag] != nil, let value = arguments[1].text ?? (tag == "USERDATA" ? "" : nil),
                value.utf8.count <= 512
            else { return .error(nil) }
            let numeric: [String: ClosedRange<Int>] = [
                "CID": BearerProfiles.numbers, "REDIR": 0...1, "TIMEOUT": 30...1000, "PROPORT": 0...65535,
            ]
            if let range = numeric[tag] {
                guard let number = arguments[1].lenientInteger, range.contains(number) else { return .error(nil) }
            }
            http.set(tag, to: value)
            return .ok
        }
    }

    /// `AT+HTTPDATA=<size>,<time>` (§11.2.4): `DOWNLOAD`, then exactly `<size>` bytes within
    /// `<time>` ms, then `OK` (also when the time runs out first; the body is then empty).
    private mutating func httpdata(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info("+HTTPDATA: (1-\(HTTPSession.maximumDataLength)),(1000-120000)")
            return .ok
        case .read, .execute: return .error(nil)
        case .write(let arguments):
            guard http.initialised, arguments.count == 2,
                let size = command.integer(0, in: 1...HTTPSession.maximumDataLength),
                let time = command.integer(1, in: 1000...120_000)
            else { return .error(nil) }
            info("DOWNLOAD")
            interpreter.wait(.downloadingHTTPData)
            interpreter.beginData(.dataFixed(length: size))
            act(.startTimer(.httpData, after: .milliseconds(time)))
            return .waiting
        }
    }

    /// `AT+HTTPDATA`'s body arrived.
    mutating func httpDataReceived(_ body: [UInt8]) {
        act(.cancelTimer(.httpData))
        http.store(body: body)
        complete(with: .ok)
    }

    /// `AT+HTTPDATA`'s time ran out before its body did.
    mutating func httpDataTimedOut() {
        guard interpreter.activity == .downloadingHTTPData else { return }
        interpreter.cancelData()
        http.store(body: [])
        complete(with: .ok)
    }

    /// `AT+HTTPACTION=<method>` (§11.2.5; 0 GET, 1 POST, 2 HEAD, 3 DELETE): `OK`, then
    /// `+HTTPACTION: <method>,<status>,<datalen>`.
    private mutating func httpaction(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info("+HTTPACTION: (0-3)")
            return .ok
        case .read, .execute: return .error(nil)
        case .write:
            guard http.initialised, let method = command.singleInteger(in: 0...3) else { return .error(nil) }
            // No HTTP client in the core: the request never reaches a server.
            http.finished(method: method, status: 601, body: [])
            emitURC("+HTTPACTION: \(method),601,0")
            return .ok
        }
    }

    /// `AT+HTTPREAD[=<start>,<size>]` (§11.2.6): `+HTTPREAD: <len>`, the bytes, `OK`; just `OK`
    /// when the response has no body.
    private mutating func httpread(_ command: ATCommand) -> CommandOutcome {
        guard command.form != .test else { return .ok }
        guard http.initialised, command.form != .read else { return .error(nil) }
        let body = http.response?.body ?? []
        var range = body.indices
        if case .write(let arguments) = command.form {
            guard arguments.count == 2, let start = command.integer(0, in: 0...HTTPSession.maximumDataLength),
                let size = command.integer(1, in: 1...HTTPSession.maximumDataLength)
            else { return .error(nil) }
            range = min(start, body.count)..<min(start + size, body.count)
        }
        guard !range.isEmpty else { return .ok }
        info("+HTTPREAD: \(range.count)")
        output.serial.append(contentsOf: body[range])
        return .ok
    }

    /// `AT+SSLOPT=<opt>,<enable>`: 0 ignore the server certificate's validity, 1 client
    /// authentication.
    private mutating func sslopt(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info("+SSLOPT: (0,1),(0,1)")
            return .ok
        case .read:
            info("+SSLOPT: 0,\(settings.misc["+SSLOPT0"] ?? 0)")
            info("+SSLOPT: 1,\(settings.misc["+SSLOPT1"] ?? 0)")
            return .ok
        case .execute: return .error(nil)
        case .write(let arguments):
            guard arguments.count == 2, let option = command.integer(0, in: 0...1),
                let enable = command.integer(1, in: 0...1)
            else { return .error(nil) }
            settings.misc["+SSLOPT\(option)"] = enable
            return .ok
        }
    }

    /// `AT+CIPSSL=<n>` (SSL application note): its test form prints `+CIPSSL: (0-1)`, as a real
    /// module does (upy-pythings compares that line). `AT+CIPSSL=<n>,<auth>`, which TinyGSM sends
    /// with client authentication, is taken too. Links stay plain TCP (docs/compatibility.md).
    private mutating func cipssl(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info("+CIPSSL: (0-1)")
            return .ok
        case .read:
            info("+CIPSSL: \(settings.misc["+CIPSSL"] ?? 0)")
            return .ok
        case .execute: return .error(nil)
        case .write(let arguments):
            guard (1...2).contains(arguments.count), let value = command.integer(0, in: 0...1),
                arguments.count == 1 || command.integer(1, in: 0...1) != nil
            else { return .error(.incorrectParameters) }
            settings.misc["+CIPSSL"] = value
            return .ok
        }
    }
}
