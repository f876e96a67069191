import ArgumentParser
import Foundation
import ModemProtocol

/// `modem trace`: reading the traces `modem emulate --trace` writes (docs/trace.md).
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Read a serial-line trace (docs/trace.md).",
        subcommands: [TraceShowCommand.self]
    )
}

/// `modem trace show FILE`: a trace as a conversation a person reads, or its records filtered.
struct TraceShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a trace as a conversation, or (--json) its records filtered.",
        discussion: """
            One line per step: the time in ms since the trace started, → host to module, ← module to host, \
            · the network; data as [n bytes]; a change of the AT+CIPSTATUS state is shown after the step that \
            reported it; a reply that came more than --slow ms after its command is marked SLOW.
            """
    )

    @Argument(help: "The trace file ('-' for standard input).")
    var file: String

    @Flag(help: "Print the records as JSON lines, filtered, instead of the conversation.")
    var json = false

    @Option(
        help: ArgumentHelp(
            "Only these kinds (comma-separated): \(TraceRecord.Kind.allCases.map(\.rawValue).joined(separator: ", ")).",
            valueName: "kinds"))
    var only: String?

    @Option(help: "Only records of this link (results, URCs and data that name it).")
    var link: Int?

    @Option(help: ArgumentHelp("Only records at or after this time (ms since the trace started).", valueName: "ms"))
    var from: Double?

    @Option(help: ArgumentHelp("Only records at or before this time (ms).", valueName: "ms"))
    var to: Double?

    @Option(help: ArgumentHelp("Mark replies that came more than this long after their command.", valueName: "ms"))
    var slow: Double = 1000

    func validate() throws {
        if let only {
            for word in only.split(separator: ",") where TraceRecord.Kind(rawValue: String(word)) == nil {
                throw ValidationError("--only: '\(word)' is not a kind of record.")
            }
        }
    }

    func run() throws {
        var view = ConversationView(slowAfter: Int64(slow * 1000))
        for record in try TraceFile.records(file) {
            let shown = view.step(record)
            guard selects(record) else { continue }
            print(json ? String(record.jsonLine.dropLast()) : shown)
        }
    }

    private func selects(_ record: TraceRecord) -> Bool {
        if let only, !only.split(separator: ",").contains(Substring(record.kind.rawValue)) { return false }
        if let link, record.link != link { return false }
        if let from, Double(record.time) < from * 1000 { return false }
        if let to, Double(record.time) > to * 1000 { return false }
        return true
    }
}

/// Reading a trace file for the CLI.
enum TraceFile {
    /// The records of `file` ('-': standard input); a line that is not a record is a failure (65)
    /// naming the line, an unreadable file one of 74.
    static func records(_ file: String) throws -> [TraceRecord] {
        let text: String
        if file == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CommandFailure(.ioError, "Cannot read \(file).")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        let decoder = JSONDecoder()
        var records: [TraceRecord] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.isEmpty {
            do {
                records.append(try decoder.decode(TraceRecord.self, from: Data(line.utf8)))
            } catch {
                throw CommandFailure(.dataError, "\(file), line \(index + 1): not a trace record (docs/trace.md).")
            }
        }
        return records
    }
}

/// Follows a conversation record by record: the state `AT+CIPSTATUS` last reported and when the
/// command being answered was sent.
struct ConversationView {
    let slowAfter: Int64
    private var state: String?
    private var commandSent: Int64?

    init(slowAfter: Int64) {
        self.slowAfter = slowAfter
    }

    /// The record as a line, with a state change or slowness noted.
    mutating func step(_ record: TraceRecord) -> String {
        var line = TraceText(record).description
        switch (record.direction, record.kind) {
        case (.host, .command):
            commandSent = record.time
        case (.module, .result):
            if let sent = commandSent, record.time - sent > slowAfter {
                line += "   SLOW: \(Double(record.time - sent) / 1000) ms after its command"
            }
            commandSent = nil
        default:
            break
        }
        let reported = record.state ?? ModuleResult(line: TraceText.printable(record.bytes)).flatMap { result in
            if case .state(let state) = result { return state.rawValue }
            return nil
        }
        if let reported, reported != state {
            line += "   [\(state ?? "?") -> \(reported)]"
            state = reported
        }
        return line
    }
}
