import Foundation

/// What `modem --version` prints: the version and the commit the binary was built from.
enum BuildInfo {
    /// The release (CHANGELOG.md).
    static let version = "0.9.0"

    /// `0.9.0 (commit 1a2b3c4…)`: the commit `scripts/package.sh` stamped into `BuildCommit.swift`,
    /// or, in a development build, the one checked out in the source tree it was built from.
    static var description: String {
        let commit = BuildCommit.stamped ?? checkedOut()
        return "\(version) (\(commit.map { "commit \($0)" } ?? "commit unknown"))"
    }

    /// The commit checked out where this file was compiled (`.git/HEAD` and its ref), if that tree is still there.
    private static func checkedOut(source: String = #filePath) -> String? {
        var directory = URL(fileURLWithPath: source).deletingLastPathComponent()
        while directory.path != "/" {
            let git = directory.appendingPathComponent(".git")
            if let head = try? String(contentsOf: git.appendingPathComponent("HEAD"), encoding: .utf8) {
                return resolve(head.trimmingCharacters(in: .whitespacesAndNewlines), git: git)
            }
            // A worktree: `.git` is a file naming the real directory.
            if let pointer = try? String(contentsOf: git, encoding: .utf8), pointer.hasPrefix("gitdir: ") {
                let real = URL(fileURLWithPath: String(pointer.dropFirst(8)).trimmingCharacters(in: .whitespacesAndNewlines))
                guard let head = try? String(contentsOf: real.appendingPathComponent("HEAD"), encoding: .utf8) else {
                    return nil
                }
                let common = (try? String(contentsOf: real.appendingPathComponent("commondir"), encoding: .utf8))
                    .map { real.appendingPathComponent($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? real
                return resolve(head.trimmingCharacters(in: .whitespacesAndNewlines), git: common)
            }
            directory.deleteLastPathComponent()
        }
        return nil
    }

    /// A HEAD's commit: itself when detached, else its ref's file or the packed-refs line.
    private static func resolve(_ head: String, git: URL) -> String? {
        guard head.hasPrefix("ref: ") else { return head.count == 40 ? head : nil }
        let ref = String(head.dropFirst(5))
        if let commit = try? String(contentsOf: git.appendingPathComponent(ref), encoding: .utf8) {
            return commit.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let packed = (try? String(contentsOf: git.appendingPathComponent("packed-refs"), encoding: .utf8)) ?? ""
        return packed.split(separator: "\n").first { $0.hasSuffix(" \(ref)") }.map { String($0.prefix(40)) }
    }
}
