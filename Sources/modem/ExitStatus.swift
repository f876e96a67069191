/// How every `modem` subcommand exits (sysexits.h; README.md, "Exit codes").
enum ExitStatus: Int32 {
    /// The module, or the emulator over `ctl`, answered with an error.
    case moduleError = 1
    /// The command line is wrong (EX_USAGE).
    case usage = 64
    /// An input file or a reply is malformed (EX_DATAERR).
    case dataError = 65
    /// Something the command needs is not there or not free: no emulator or modem answers, a port
    /// or path is taken, no file descriptors are left (EX_UNAVAILABLE).
    case unavailable = 69
    /// Reading or writing a file, device or connection failed (EX_IOERR).
    case ioError = 74
}
