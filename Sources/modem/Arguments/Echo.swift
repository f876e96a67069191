import ArgumentParser

/// `--echo on|off`: whether the modem echoes command lines after power-on (`ATE1`, `ATE0`).
enum Echo: String, ExpressibleByArgument {
    case on, off

    init?(argument: String) {
        self.init(rawValue: argument.lowercased())
    }
}
