import ModemProtocol

/// The module's links (SIM800: 0–5) and the connection ids that name their sockets.
///
/// A link number is reused after a close; a connection id never is, so an event of a socket that
/// the modem already gave up on cannot be mistaken for one of its successor.
struct LinkTable: Sendable {
    private var links: [Link?]
    private var nextConnection: UInt64 = 1

    init(count: Int) {
        links = Array(repeating: nil, count: count)
    }

    /// How many links there are.
    var count: Int { links.count }

    /// Link `number`, `nil` while unused.
    subscript(number: Int) -> Link? { links[number] }

    /// Runs one of link `number`'s transitions, which appends the actions it needs; `nil` when the
    /// link is unused. (A closure rather than a `_modify` accessor: the accessor's coroutine frame
    /// costs a heap allocation per call on the data path.)
    @discardableResult
    mutating func update<Result>(
        _ number: Int, actions: inout [ModemAction], _ transition: (inout Link, inout [ModemAction]) -> Result
    ) -> Result? {
        guard links[number] != nil else { return nil }
        return transition(&links[number]!, &actions)
    }

    /// Runs one of link `number`'s transitions that needs no action; `nil` when the link is unused.
    @discardableResult
    mutating func update<Result>(_ number: Int, _ transition: (inout Link) -> Result) -> Result? {
        guard links[number] != nil else { return nil }
        return transition(&links[number]!)
    }

    /// The link number and link of a connection, if it is still one of the modem's.
    func link(of connection: ConnectionID) -> (number: Int, link: Link)? {
        for (number, link) in links.enumerated() {
            if let link, link.id == connection { return (number, link) }
        }
        return nil
    }

    /// Whether any link is open or being opened.
    var anyActive: Bool { links.contains { $0?.phase.isActive == true } }

    /// Whether no link was ever used since the last `AT+CIPSHUT`.
    var allUnused: Bool { links.allSatisfy { $0 == nil } }

    /// The first of `numbers` whose link is free.
    func firstFree(among numbers: some Sequence<Int>) -> Int? {
        numbers.first { links[$0]?.phase.isActive != true }
    }

    /// Whether some link's socket reading is paused because its unread data is full.
    func isPausedByBuffer(_ connection: ConnectionID) -> Bool {
        links.contains { $0?.id == connection && $0?.readingPaused == true }
    }

    /// Unread bytes per link, for the snapshot.
    var unreadCounts: [Int] { links.map { $0?.unread.count ?? 0 } }

    // MARK: Transitions

    /// `AT+CIPSTART` takes link `number` (free): a new connection that dials once the context is up.
    mutating func dial(
        _ number: Int, _ transport: TransportProtocol, host: String, port: Int, bearer: Int
    ) -> ConnectionID {
        let id = newConnectionID()
        links[number] = .dialing(id, transport, host: host, port: port, bearer: bearer)
        return id
    }

    /// A peer's connection to the server takes link `number` (free).
    mutating func accept(_ number: Int, address: String, port: Int, bearer: Int) -> ConnectionID {
        let id = newConnectionID()
        links[number] = .accepted(id, address: address, port: port, bearer: bearer)
        return id
    }

    /// Every link closes and is forgotten (`AT+CIPSHUT`, a reset).
    mutating func removeAll(actions: inout [ModemAction]) {
        for number in links.indices {
            links[number]?.drop(discardingUnread: true, actions: &actions)
            links[number] = nil
        }
    }

    private mutating func newConnectionID() -> ConnectionID {
        defer { nextConnection += 1 }
        return ConnectionID(rawValue: nextConnection)
    }

    // MARK: Status

    /// What `AT+CIPSTATUS` reports for link `number`.
    func status(_ number: Int) -> LinkStatus {
        guard let link = links[number] else { return .unused(number) }
        var status = link.status
        status.number = number
        return status
    }

    /// The status of every link in order, without building an array.
    var statuses: Statuses { Statuses(table: self) }

    /// The links as `AT+CIPSTATUS` reports them, read in place.
    struct Statuses: Sequence {
        let table: LinkTable

        func makeIterator() -> Iterator { Iterator(table: table) }

        struct Iterator: IteratorProtocol {
            let table: LinkTable
            var number = 0

            mutating func next() -> LinkStatus? {
                guard number < table.count else { return nil }
                defer { number += 1 }
                return table.status(number)
            }
        }
    }
}
