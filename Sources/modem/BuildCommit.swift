/// The commit a packaged binary was built from. `scripts/package.sh` writes it here for its build
/// and puts this file back afterwards; a development build leaves it `nil`.
enum BuildCommit {
    static let stamped: String? = nil
}
