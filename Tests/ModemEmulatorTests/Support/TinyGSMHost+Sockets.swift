import Foundation

extension TinyGSMHost {
    // MARK: - Sockets (GsmClientSim800 and the modem* functions behind it)

    /// `client.connect(host, port)`: `stop()` (which quick-closes with `AT+CIPCLOSE=<n>,1`), then
    /// `AT+CIPSSL=0` and `AT+CIPSTART=<n>,"TCP",…`, `CONNECT OK` within `timeout`.
    func connect(_ mux: Int, host: String, port: Int, timeout: Duration = .seconds(75)) async throws -> Bool {
        if sockets[mux] == nil { sockets[mux] = Socket(previousCheck: now) }
        try await stop(mux)
        sockets[mux]?.rx.removeAll()
        let connected = try await modemConnect(mux, host: host, port: port, timeout: timeout)
        sockets[mux]?.connected = connected
        return sockets[mux]?.connected == true
    }

    private func modemConnect(_ mux: Int, host: String, port: Int, timeout: Duration) async throws -> Bool {
        if !sim900 {
            try await sendAT("+CIPSSL=", "0")
            try await waitResponse()
        }
        try await sendAT("+CIPSTART=", "\(mux)", ",", "\"TCP", "\",\"", host, "\",", "\(port)")
        let index = try await waitResponse(
            ["CONNECT OK\r\n", "CONNECT FAIL\r\n", "ALREADY CONNECT\r\n", "ERROR\r\n", "CLOSE OK\r\n"], timeout: timeout
        ).index
        return index == 1
    }

    /// `client.stop()`: reads out what the modem still buffers, clears the stream, then
    /// `AT+CIPCLOSE=<n>,1`; the result is ignored. Returns the index of that reply.
    @discardableResult
    func stop(_ mux: Int) async throws -> Int {
        while let available = sockets[mux]?.available, available > 0 {
            sockets[mux]?.rx.removeAll()
            _ = try await modemRead(mux, size: min(rxFree(mux), available))
        }
        sockets[mux]?.rx.removeAll()
        try await drain()
        try await sendAT("+CIPCLOSE=", "\(mux)", ",1")
        sockets[mux]?.connected = false
        return try await waitResponse().index
    }

    /// `client.write(buf, len)`: `maintain()`, then one `AT+CIPSEND=<n>,<len>`; the count
    /// `DATA ACCEPT:<n>,<len>` reports, 0 on any other reply.
    func write(_ mux: Int, _ bytes: [UInt8]) async throws -> Int {
        try await maintain()
        return try await modemSend(mux, bytes)
    }

    private func modemSend(_ mux: Int, _ bytes: [UInt8]) async throws -> Int {
        try await sendAT("+CIPSEND=", "\(mux)", ",", "\(bytes.count)")
        guard try await waitResponse([">"]).index == 1 else { return 0 }
        try await stream.write(bytes)
        record("<\(bytes.count) bytes sent>")
        guard try await waitResponse(["\r\nDATA ACCEPT:"]).index == 1 else { return 0 }
        try await skipUntil(",")
        return try await getIntBefore("\n")
    }

    /// `client.available()`: FIFO plus what the modem holds; with an empty FIFO it may set
    /// `got_data` itself (the 500 ms check) and runs `maintain()`.
    func available(_ mux: Int) async throws -> Int {
        guard sockets[mux] != nil else { return 0 }
        if sockets[mux]!.rx.isEmpty {
            checkAvailability(mux)
            try await maintain()
        }
        return (sockets[mux]?.rx.count ?? 0) + (sockets[mux]?.available ?? 0)
    }

    /// `client.read(buf, size)`: from the FIFO, refilled with `AT+CIPRXGET=2` (or `=3`) reads of
    /// at most the FIFO's free space while the modem holds data.
    func read(_ mux: Int, size: Int) async throws -> [UInt8] {
        try await maintain()
        var result: [UInt8] = []
        while result.count < size, sockets[mux] != nil {
            if !sockets[mux]!.rx.isEmpty {
                let chunk = min(size - result.count, sockets[mux]!.rx.count)
                result += sockets[mux]!.rx.prefix(chunk)
                sockets[mux]!.rx.removeFirst(chunk)
                continue
            }
            checkAvailability(mux)
            try await maintain()
            let available = sockets[mux]!.available
            guard available > 0 else { break }
            if try await modemRead(mux, size: min(rxFree(mux), available)) == 0 { break }
        }
        return result
    }

    /// `client.connected()`: data available, or the socket's `sock_connected`.
    func connected(_ mux: Int) async throws -> Bool {
        if try await available(mux) > 0 { return true }
        return sockets[mux]?.connected == true
    }

    private func rxFree(_ mux: Int) -> Int {
        rxBufferSize - 1 - (sockets[mux]?.rx.count ?? 0)
    }

    private func checkAvailability(_ mux: Int) {
        guard let interval = availabilityCheck, let socket = sockets[mux] else { return }
        if now - socket.previousCheck > interval {
            sockets[mux]?.gotData = true
            sockets[mux]?.previousCheck = now
        }
    }

}
