import ArgumentParser
import Foundation
import Logging

/// `--log-format text|json`: how the log goes to stderr.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    /// swift-log's standard line: time, level, label, metadata, message.
    case text
    /// One JSON object a line (``JSONLogHandler``), for machines.
    case json

    /// Sends every logger's output to stderr at `level` in this format.
    func bootstrap(level: Logger.Level) {
        let format = self
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}

/// Writes each log event to stderr as one JSON object and a newline:
/// `{"time":"2026-12-01T21:05:30.123Z","level":"debug","label":"modem.emulate","message":"…","metadata":{"modem":"0"}}`.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let (level, message, metadata) = (event.level, event.message, event.metadata)
        let merged = self.metadata.merging(metadata ?? [:]) { $1 }
        var object: [String: Any] = [
            "time": Date().ISO8601Format(.iso8601(timeZone: .gmt, includingFractionalSeconds: true)),
            "level": level.rawValue, "label": label, "message": message.description,
        ]
        if !merged.isEmpty { object["metadata"] = merged.mapValues { $0.description } }
        guard
            var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return }
        data.append(0x0A)
        FileHandle.standardError.write(data)
    }
}
