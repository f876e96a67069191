import ArgumentParser
import Logging
import ModemCore
import ModemEmulator
import ModemProtocol

/// An option whose value a library type reads from the word given (`--timing realistic`,
/// `--activation-delay 1.5s`): the library's own parser decides what is valid, and help shows a
/// default as it is written in the declaration.
struct OptionValue<Value: OptionReadable>: ExpressibleByArgument, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The word as given.
    let description: String
    let value: Value

    init?(argument: String) {
        guard let value = Value.read(argument) else { return nil }
        self.description = argument
        self.value = value
    }

    /// A default in an option's declaration; a word the library rejects there is a programming error.
    init(stringLiteral word: String) {
        guard let value = Self(argument: word) else { preconditionFailure("'\(word)' is not a valid \(Value.self)") }
        self = value
    }
}

/// A library type that a word of the command line can stand for.
protocol OptionReadable: Sendable {
    /// The value `word` stands for; `nil` when it stands for none.
    static func read(_ word: String) -> Self?
}

/// `--dialect sim800|spec`, spelled as in the spec.
typealias Dialect = OptionValue<StatusDialect>
/// `--model sim800|sim800c|sim808|sim868|sim900`.
typealias Model = OptionValue<ModuleFamily>
/// `--power-up instant|realistic|<duration>`.
typealias PowerUp = OptionValue<PowerUpChoice>
/// `--timing instant|realistic`.
typealias Timing = OptionValue<CommandTiming>
/// `--network ideal|gprs|edge|umts|hspa|lte`.
typealias NetworkPreset = OptionValue<NetworkProfile>
/// `--log-level trace|debug|info|notice|warning|error|critical`, in any case.
typealias LogLevel = OptionValue<Logger.Level>
/// A duration: `250ms`, `1.5s`, `2m`, or a bare number of milliseconds.
typealias Delay = OptionValue<Duration>

extension StatusDialect: OptionReadable {
    static func read(_ word: String) -> StatusDialect? { StatusDialect(rawValue: word) }
}

extension ModuleFamily: OptionReadable {
    static func read(_ word: String) -> ModuleFamily? { ModuleFamily(rawValue: word.lowercased()) }
}

/// What `--power-up` asks for: no boot time, the model's real times, or those times compressed so
/// that the module is registered after the duration given (a test's shortened power-up).
enum PowerUpChoice: OptionReadable {
    case instant
    case realistic
    case registeredAfter(Duration)

    static func read(_ word: String) -> PowerUpChoice? {
        switch word.lowercased() {
        case "instant": .instant
        case "realistic": .realistic
        default: DurationParser.parse(word).map(registeredAfter)
        }
    }

    /// The timing for `model`.
    func timing(for model: ModuleFamily) -> PowerUpTiming {
        switch self {
        case .instant: .instant
        case .realistic: model.realisticPowerUp
        case .registeredAfter(let total):
            model.realisticPowerUp.scaled(by: total / model.realisticPowerUp.registration)
        }
    }
}

extension CommandTiming: OptionReadable {
    static func read(_ word: String) -> CommandTiming? { named(word) }
}

extension NetworkProfile: OptionReadable {
    static func read(_ word: String) -> NetworkProfile? { preset(named: word) }
}

extension Logger.Level: OptionReadable {
    static func read(_ word: String) -> Logger.Level? { Logger.Level(rawValue: word.lowercased()) }
}

extension Duration: OptionReadable {
    static func read(_ word: String) -> Duration? { DurationParser.parse(word) }
}
