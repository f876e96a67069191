/// The module's questions to the network that name no link: `AT+CDNSGIP` lookups and
/// `AT+CIPPING` runs, each under a query number of its own.
struct NetworkQueries: Equatable, Sendable {
    private var nextQuery: UInt64 = 1
    /// Host names of the lookups still waiting for an answer.
    private var lookups: [UInt64: String] = [:]
    /// The TTL `AT+CIPPING` reports for a reply.
    private(set) var pingTTL = 64

    /// Asks the network for `host`'s addresses, with a time limit.
    mutating func resolve(_ host: String, timeout: Duration, actions: inout [ModemAction]) {
        let query = newQuery()
        lookups[query] = host
        actions.append(.resolve(query: query, host: host))
        actions.append(.startTimer(.dnsQuery(query), after: timeout))
    }

    /// The answer to a lookup (or its time ran out): the host it asked for, `nil` when the query
    /// is not waiting.
    mutating func resolved(_ query: UInt64, actions: inout [ModemAction]) -> String? {
        guard let host = lookups.removeValue(forKey: query) else { return nil }
        actions.append(.cancelTimer(.dnsQuery(query)))
        return host
    }

    /// Starts `count` round trips to `host`, each waiting at most `timeout`; returns the query.
    mutating func ping(
        _ host: String, count: Int, timeout: Duration, ttl: Int, actions: inout [ModemAction]
    ) -> UInt64 {
        let query = newQuery()
        pingTTL = ttl
        actions.append(.ping(query: query, host: host, count: count, timeout: timeout))
        actions.append(.startTimer(.ping(query), after: timeout * count + .seconds(5)))
        return query
    }

    /// Every lookup is abandoned (`AT+CIPSHUT`, a reset).
    mutating func cancelLookups(actions: inout [ModemAction]) {
        for query in lookups.keys.sorted() { actions.append(.cancelTimer(.dnsQuery(query))) }
        lookups.removeAll()
    }

    private mutating func newQuery() -> UInt64 {
        defer { nextQuery += 1 }
        return nextQuery
    }
}

extension NetworkQueries {
    /// A ping run answered, or its time ran out.
    func pingFinished(_ query: UInt64, actions: inout [ModemAction]) {
        actions.append(.cancelTimer(.ping(query)))
    }
}
