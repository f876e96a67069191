import Foundation
import NIOConcurrencyHelpers

/// Prints what `modem emulate` tells a script on stdout, in a fixed order whichever is ready first:
/// the PTY path (with `--pty`), then the live view's URL (with `--http`).
final class Announcer: Sendable {
    private struct State {
        var path: String??
        var url: String?
        var done = false
    }

    private let printsPath: Bool
    private let waitsForURL: Bool
    private let state = NIOLockedValueBox(State())

    init(printsPath: Bool, waitsForURL: Bool) {
        self.printsPath = printsPath
        self.waitsForURL = waitsForURL
    }

    /// The serial endpoints are open; `path` is the first one's address.
    func serialReady(_ path: String?) {
        state.withLockedValue { state in
            state.path = .some(path)
            flush(&state)
        }
    }

    /// The HTTP server listens at `url` (printed only when the announcer waits for it).
    func httpReady(_ url: String) {
        guard waitsForURL else { return }
        state.withLockedValue { state in
            state.url = url
            flush(&state)
        }
    }

    private func flush(_ state: inout State) {
        guard !state.done, let path = state.path, !waitsForURL || state.url != nil else { return }
        state.done = true
        if printsPath, let path { print(path) }
        if let url = state.url { print(url) }
        fflush(nil)  // all streams: the lines must reach a pipe before anything else happens
    }
}
