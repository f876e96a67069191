/// Something a test starts beside the code under test and must stop before the test returns: a
/// peer server, an echo server.
public protocol TestServer: Sendable {
    func stop() async
}

/// Runs `body` with `server`, then stops the server and waits for it, whether `body` returned or
/// threw. (`defer { Task { await server.stop() } }` left the server running past its test.)
public func withServer<Server: TestServer, Value>(
    _ server: Server, isolation: isolated (any Actor)? = #isolation, _ body: (Server) async throws -> Value
) async throws -> Value {
    try await withCleanup(isolation: isolation) { try await body(server) } cleanup: { await server.stop() }
}

/// Runs `body`, then `cleanup`, awaited, whether `body` returned or threw: the scoped form of a
/// `defer` that has to await.
public func withCleanup<Value>(
    isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Value, cleanup: () async -> Void
) async throws -> Value {
    let value: Value
    do {
        value = try await body()
    } catch {
        await cleanup()
        throw error
    }
    await cleanup()
    return value
}
