import ArgumentParser
import ModemEmulator

/// `--allow HOST|CIDR`: one entry of the emulator's ``AllowList``, checked by its rules when parsed.
struct AllowEntry: ExpressibleByArgument {
    /// The entry as given; ``AllowList/add(_:)`` takes it.
    let text: String

    init?(argument: String) {
        var list = AllowList()
        guard (try? list.add(argument)) != nil else { return nil }
        text = argument
    }
}
