/// One phonebook entry (SIM800 manual §3.2.25 `AT+CPBR`).
struct PhonebookEntry: Equatable, Sendable {
    /// The number as written.
    let number: String
    /// `<type>`: 145 international (`+…`), 129 otherwise.
    let type: Int
    /// The name.
    let text: String
}

/// The SIM phonebook `AT+CPBR` reads and `AT+CPBW` writes.
struct Phonebook: Equatable, Sendable {
    /// Entry indices (`AT+CPBR=?`: `(1-250)`).
    static let indices = 1...250
    /// The longest number and text an entry holds.
    static let numberLength = 40
    static let textLength = 14

    private(set) var entries: [Int: PhonebookEntry] = [:]

    /// `AT+CPBW=[<index>],<number>[,<type>[,<text>]]`: writes `index`, or the first free one;
    /// returns the index, `nil` when the phonebook is full.
    mutating func write(_ entry: PhonebookEntry, at index: Int?) -> Int? {
        guard let index = index ?? Self.indices.first(where: { entries[$0] == nil }) else { return nil }
        entries[index] = entry
        return index
    }

    /// `AT+CPBW=<index>`: deletes an entry.
    mutating func delete(_ index: Int) {
        entries[index] = nil
    }
}
