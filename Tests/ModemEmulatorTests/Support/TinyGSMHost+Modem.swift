import Foundation

extension TinyGSMHost {
    // MARK: - Modem functions (TinyGsmModem.tpp, TinyGsmGPRS.tpp, TinyGsmClientSIM800.h)

    /// `testAT(timeout)`: `AT` until `OK` comes within 200 ms, 100 ms apart.
    func testAT(timeout: Duration = .seconds(10)) async throws -> Bool {
        let deadline = now + timeout
        while now < deadline {
            try await sendAT()
            do {
                if try await waitResponse(timeout: .milliseconds(200)).index == 1 { return true }
            } catch is StreamTimeout {}
            await delay(.milliseconds(100))
        }
        return false
    }

    /// `init(pin)` / `begin()` without `TINY_GSM_DEBUG`: AT, ATE0, AT+CMEE=0, AT+CLTS=1, AT+CBATCHK=1, then the SIM.
    func initModem() async throws -> Bool {
        guard try await testAT() else { return false }
        try await sendAT("E0")
        guard try await waitResponse().index == 1 else { return false }
        try await sendAT("+CMEE=0")
        try await waitResponse()
        try await sendAT("+CLTS=1")
        guard try await waitResponse(timeout: .seconds(10)).index == 1 else { return false }
        try await sendAT("+CBATCHK=1")
        try await waitResponse()
        let sim = try await getSimStatus()
        return sim == 1 || sim == 2
    }

    /// `getSimStatus()`: 1 READY, 2 locked, 0 otherwise (`+CPIN:` retried for 10 s).
    func getSimStatus(timeout: Duration = .seconds(10)) async throws -> Int {
        let deadline = now + timeout
        while now < deadline {
            try await sendAT("+CPIN?")
            guard try await waitResponse(["+CPIN:"]).index == 1 else {
                await delay(.seconds(1))
                continue
            }
            let status = try await waitResponse(["READY", "SIM PIN", "SIM PUK", "NOT INSERTED", "NOT READY"]).index
            try await waitResponse()
            switch status {
            case 1: return 1
            case 2, 3: return 2
            default: return 0
            }
        }
        return 0
    }

    /// `getModemInfo()`: `ATI`, the reply up to OK, cleaned.
    func getModemInfo() async throws -> String { try await infoString("I") }
    func getModemManufacturer() async throws -> String { try await infoString("+CGMI") }
    func getModemModel() async throws -> String { try await infoString("+CGMM") }
    func getModemRevision() async throws -> String { try await infoString("+CGMR") }
    func getModemSerialNumber() async throws -> String { try await infoString("+CGSN") }

    private func infoString(_ command: String) async throws -> String {
        try await sendAT(command)
        let wait = try await waitResponse()
        return wait.index == 1 ? Self.cleanResponseString(wait.data) : ""
    }

    /// `getIMEI()`: skip to the first `\n`, the line up to the next one, then OK.
    func getIMEI() async throws -> String {
        try await sendAT("+GSN")
        try await skipUntil("\n")
        let text = try await readStringUntil("\n")
        try await waitResponse()
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `getSimCCID()`: waits for the leading `\r\n`, reads the line, then OK.
    func getSimCCID() async throws -> String {
        try await sendAT("+CCID")
        guard try await waitResponse(["\r\n"]).index == 1 else { return "" }
        let text = try await readStringUntil("\n")
        try await waitResponse()
        return text.replacingOccurrences(of: "CCID:", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `getRegistrationStatus()`: `AT+CREG?`, `+CREG:` (not OK/ERROR), the int after the comma.
    func getRegistrationStatus() async throws -> Int {
        try await sendAT("+CREG?")
        let index = try await waitResponse(["+CREG:", "+CGREG:", "+CEREG:"]).index
        guard (1...3).contains(index) else { return -1 }
        try await skipUntil(",")
        let status = try await parseInt()
        try await waitResponse()
        return status
    }

    /// `isNetworkConnected()`: registered home (1) or roaming (5).
    func isNetworkConnected() async throws -> Bool {
        let status = try await getRegistrationStatus()
        return status == 1 || status == 5
    }

    /// `waitForNetwork(timeout, check_signal = false)`.
    func waitForNetwork(timeout: Duration = .seconds(60)) async throws -> Bool {
        let deadline = now + timeout
        while now < deadline {
            if try await isNetworkConnected() { return true }
            await delay(.milliseconds(250))
        }
        return false
    }

    /// `getSignalQuality()`: the int before the comma of `+CSQ:`; 99 without it.
    func getSignalQuality() async throws -> Int {
        try await sendAT("+CSQ")
        guard try await waitResponse(["+CSQ:"]).index == 1 else { return 99 }
        let rssi = try await getIntBefore(",")
        try await waitResponse()
        return rssi
    }

    /// `restart(pin)`: AT, AT&W, AT+CFUN=0, AT+CFUN=1,1, a pause, then `init`.
    func restart() async throws -> Bool {
        guard try await testAT() else { return false }
        try await sendAT("&W")
        try await waitResponse()
        try await sendAT("+CFUN=0")
        guard try await waitResponse(timeout: .seconds(10)).index == 1 else { return false }
        try await sendAT("+CFUN=1", ",1")
        guard try await waitResponse(timeout: .seconds(10)).index == 1 else { return false }
        await delay(.seconds(3))
        return try await initModem()
    }

    /// `factoryDefault()`: returns whether the final `AT&W` said OK; the index of each reply is
    /// returned too so a test can check all six.
    func factoryDefault() async throws -> (result: Bool, replies: [Int]) {
        var replies: [Int] = []
        for command in ["&FZE0&W", "+IPR=0", "+IFC=0,0", "+ICF=3,3", "+CSCLK=0", "&W"] {
            try await sendAT(command)
            replies.append(try await waitResponse().index)
        }
        return (replies.last == 1, replies)
    }

    /// `poweroff()`: `AT+CPOWD=1`, waits for `NORMAL POWER DOWN`.
    func poweroff() async throws -> Bool {
        try await sendAT("+CPOWD=1")
        return try await waitResponse(["NORMAL POWER DOWN"], timeout: .seconds(10)).index == 1
    }

    /// `getLocalIP()`: `AT+CIFSR;E0`, everything up to OK (10 s), cleaned.
    func getLocalIP() async throws -> String {
        try await sendAT("+CIFSR;E0")
        let wait = try await waitResponse(timeout: .seconds(10))
        return wait.index == 1 ? Self.cleanResponseString(wait.data) : ""
    }

    /// `isGprsConnected()`: `+CGATT: 1`, then a local IP other than 0.0.0.0.
    func isGprsConnected() async throws -> Bool {
        try await sendAT("+CGATT?")
        guard try await waitResponse(["+CGATT:"]).index == 1 else { return false }
        let attached = try await getIntBefore("\n")
        try await waitResponse()
        guard attached == 1 else { return false }
        let address = try await getLocalIP()
        return !address.isEmpty && address != "0.0.0.0"
    }

    /// `gprsConnect(apn, user, pwd)` (drivers.md §1.4): the index of every reply, and the result.
    func gprsConnect(apn: String, user: String = "", password: String = "") async throws -> Bool {
        _ = try await gprsDisconnect()
        try await sendAT("+SAPBR=3,1,\"Contype\",\"GPRS\"")
        try await waitResponse()
        try await sendAT("+SAPBR=3,1,\"APN\",\"", apn, "\"")
        try await waitResponse()
        if !user.isEmpty {
            try await sendAT("+SAPBR=3,1,\"USER\",\"", user, "\"")
            try await waitResponse()
        }
        if !password.isEmpty {
            try await sendAT("+SAPBR=3,1,\"PWD\",\"", password, "\"")
            try await waitResponse()
        }
        try await sendAT("+CGDCONT=1,\"IP\",\"", apn, "\"")
        try await waitResponse()
        try await sendAT("+CGACT=1,1")
        try await waitResponse(timeout: .seconds(60))
        try await sendAT("+SAPBR=1,1")
        try await waitResponse(timeout: .seconds(85))
        try await sendAT("+SAPBR=2,1")
        guard try await waitResponse(timeout: .seconds(30)).index == 1 else { return false }
        try await sendAT("+CGATT=1")
        guard try await waitResponse(timeout: .seconds(60)).index == 1 else { return false }
        for command in ["+CIPMUX=1", "+CIPQSEND=1", "+CIPRXGET=1"] {
            try await sendAT(command)
            guard try await waitResponse().index == 1 else { return false }
        }
        try await sendAT("+CSTT=\"", apn, "\",\"", user, "\",\"", password, "\"")
        guard try await waitResponse(timeout: .seconds(60)).index == 1 else { return false }
        try await sendAT("+CIICR")
        guard try await waitResponse(timeout: .seconds(60)).index == 1 else { return false }
        try await sendAT("+CIFSR;E0")
        guard try await waitResponse(timeout: .seconds(10)).index == 1 else { return false }
        try await sendAT("+CDNSCFG=\"8.8.8.8\",\"8.8.4.4\"")
        return try await waitResponse().index == 1
    }

    /// `gprsDisconnect()`: `AT+CIPSHUT`, then `AT+CGATT=0`, each must end in OK (60 s).
    func gprsDisconnect() async throws -> Bool {
        try await sendAT("+CIPSHUT")
        guard try await waitResponse(timeout: .seconds(60)).index == 1 else { return false }
        try await sendAT("+CGATT=0")
        return try await waitResponse(timeout: .seconds(60)).index == 1
    }

    /// `maintain()`: `AT+CIPRXGET=4` for every socket flagged `got_data`, then the URCs that arrived.
    func maintain() async throws {
        for mux in sockets.indices where sockets[mux]?.gotData == true {
            sockets[mux]?.gotData = false
            let available = try await modemGetAvailable(mux)
            sockets[mux]?.available = available
        }
        try await drain()
    }

}
