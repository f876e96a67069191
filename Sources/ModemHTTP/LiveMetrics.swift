import ModemEmulator
import ModemProtocol
import Prometheus

/// `/metrics` in the Prometheus text format (docs/http-api.md), summed over the fleet's feeds at
/// each scrape: modems and links by state, bytes per direction, commands by name, errors, faults.
enum LiveMetrics {
    static func render(_ feeds: [LiveFeed]) -> [UInt8] {
        var modems: [String: Int] = [:]
        var links: [String: Int] = [:]
        var total = LiveCounters()
        for feed in feeds {
            let (counters, status) = feed.counters
            modems[status.stateWord, default: 0] += 1
            for word in status.linkStateWords { links[word, default: 0] += 1 }
            total.serialIn += counters.serialIn
            total.serialOut += counters.serialOut
            total.networkUp += counters.networkUp
            total.networkDown += counters.networkDown
            total.commands.merge(counters.commands, uniquingKeysWith: +)
            total.errors.merge(counters.errors, uniquingKeysWith: +)
            total.faults.merge(counters.faults, uniquingKeysWith: +)
        }
        let registry = PrometheusCollectorRegistry()
        func gauge(_ name: String, _ help: String, _ label: String, _ values: [String: Int]) {
            for (value, count) in values.sorted(by: { $0.key < $1.key }) {
                registry.makeGauge(descriptor: .init(metricName: name, unitName: "", helpText: help), labels: [(label, value)])
                    .set(Int64(count))
            }
        }
        func counter(_ name: String, _ help: String, _ label: String, _ values: [String: Int]) {
            for (value, count) in values.sorted(by: { $0.key < $1.key }) {
                registry.makeCounter(descriptor: .init(metricName: name, unitName: "", helpText: help), labels: [(label, value)])
                    .increment(by: Int64(count))
            }
        }
        gauge("modem_modems", "Modems by the STATE: word AT+CIPSTATUS reports", "state", modems)
        gauge("modem_links", "Multi-connection links by state", "state", links)
        counter(
            "modem_serial_bytes_total", "Bytes on the serial lines", "direction",
            ["host_to_module": total.serialIn, "module_to_host": total.serialOut])
        counter(
            "modem_network_bytes_total", "Payload bytes on the links", "direction",
            ["up": total.networkUp, "down": total.networkDown])
        counter("modem_commands_total", "AT command lines by name", "command", total.commands)
        counter("modem_errors_total", "Error results sent to hosts", "result", total.errors)
        counter("modem_faults_injected_total", "Faults and network changes injected", "fault", total.faults)
        return registry.emitToBuffer()
    }
}
