import Benchmark
import ModemCore
import ModemProtocol

/// A 6-link multi-connection reply as a SIM800 sends it, every link in use.
let statusReply: String = {
    var lines = ["", "OK", "", "STATE: IP PROCESSING", ""]
    for n in 0..<6 {
        lines.append("C: \(n),0,\"TCP\",\"203.0.113.\(10 + n)\",\"\(8000 + n)\",\"CONNECTED\"")
    }
    return lines.joined(separator: "\r\n") + "\r\n"
}()
let statusBytes = Array(statusReply.utf8)

let sixLinks = ConnectionStatus.multi(
    .ipProcessing, server: nil,
    links: (0..<6).map {
        LinkStatus(
            number: $0, bearer: 0, transport: .tcp, address: "203.0.113.\(10 + $0)", port: 8000 + $0, state: .connected)
    })

/// A modem in multi mode with six open links, ready to answer `AT+CIPSTATUS`.
func busyModem() -> Modem {
    var modem = Modem()
    var output = ModemOutput()
    modem.serialReceived(Array("ATE0\rAT+CIPMUX=1\rAT+CSTT=\"internet\"\rAT+CIICR\r".utf8), into: &output)
    modem.handle(.contextActivated(localAddress: "10.64.0.2"), into: &output)
    modem.serialReceived(Array("AT+CIFSR\r".utf8), into: &output)
    for n in 0..<6 {
        output.removeAll()
        modem.serialReceived(
            Array("AT+CIPSTART=\(n),\"TCP\",\"203.0.113.\(10 + n)\",\(8000 + n)\r".utf8), into: &output)
        for case .connect(let id, _, _, _) in output.actions {
            var events = ModemOutput()
            modem.handle(.connected(id, remoteAddress: "203.0.113.\(10 + n)"), into: &events)
        }
    }
    return modem
}

/// The steady state of one command: parse, handle and encode into reused buffers, after one
/// warm-up run outside the measurement.
func measure(_ benchmark: Benchmark, modem: Modem, command: String) {
    var modem = modem
    var output = ModemOutput()
    let line = Array((command + "\r").utf8)
    modem.serialReceived(line, into: &output)
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations {
        output.removeAll()
        modem.serialReceived(line, into: &output)
        blackHole(output.serial.count)
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal, .instructions],
        scalingFactor: .kilo,
        maxDuration: .seconds(3)
    )
    tapBenchmarks()

    Benchmark("Baseline: split a 6-link status reply into lines") { benchmark in
        for _ in benchmark.scaledIterations {
            var count = 0
            for line in statusBytes.split(whereSeparator: { $0 == 0x0D || $0 == 0x0A }) { count &+= line.count }
            blackHole(count)
        }
    }

    Benchmark("Decode a 6-link multi-connection status reply") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? CIPSTATUSDecoder.decodeStatus(statusReply))
        }
    }

    Benchmark("Encode a 6-link multi-connection status (bytes into a reused buffer)") { benchmark in
        let encoder = CIPSTATUSEncoder(dialect: .sim800)
        let formatter = ResponseFormatter()
        guard case .multi(_, let server, let links) = sixLinks else { return }
        var output: [UInt8] = []
        output.reserveCapacity(512)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            output.removeAll(keepingCapacity: true)
            encoder.appendExecute(.ipProcessing, server: server, links: links, formatter: formatter, to: &output)
            blackHole(output.count)
        }
    }

    Benchmark("Encode a 6-link multi-connection status (into a new buffer each time)") { benchmark in
        let encoder = CIPSTATUSEncoder(dialect: .sim800)
        let formatter = ResponseFormatter()
        for _ in benchmark.scaledIterations {
            var output: [UInt8] = []
            encoder.appendExecute(sixLinks, formatter: formatter, to: &output)
            blackHole(output.count)
        }
    }

    Benchmark("Core: AT+CIPSTATUS parse, handle, encode (6 links)") { benchmark in
        measure(benchmark, modem: busyModem(), command: "AT+CIPSTATUS")
    }

    Benchmark("Core: AT+CIPSTATUS=3 (one link)") { benchmark in
        measure(benchmark, modem: busyModem(), command: "AT+CIPSTATUS=3")
    }

    Benchmark("Core: AT (parse, handle, OK)") { benchmark in
        var modem = Modem()
        var output = ModemOutput()
        modem.serialReceived(Array("ATE0\r".utf8), into: &output)
        measure(benchmark, modem: modem, command: "AT")
    }

    Benchmark("Core: AT+CIPSEND=0,10 with its data, then the network takes it (SEND OK)") { benchmark in
        var modem = busyModem()
        var output = ModemOutput()
        let id = modem.connection(onLink: 0)!
        let send = Array("AT+CIPSEND=0,10\r0123456789".utf8)
        modem.serialReceived(send, into: &output)
        modem.handle(.sent(id, count: 10), into: &output)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            output.removeAll()
            modem.serialReceived(send, into: &output)
            modem.handle(.sent(id, count: 10), into: &output)
            blackHole(output.serial.count)
        }
    }
}
