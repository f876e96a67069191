import ModemProtocol

/// One short message in the SIM's storage (SIM800 manual §4.2, 3GPP TS 27.005 §3.1).
struct StoredMessage: Equatable, Sendable {
    /// `<stat>`: text mode's words, PDU mode's numbers.
    enum Status: Int, Equatable, Sendable, CaseIterable {
        case receivedUnread = 0, receivedRead = 1, storedUnsent = 2, storedSent = 3

        /// The text-mode word (`"REC UNREAD"`, …).
        var text: String {
            switch self {
            case .receivedUnread: "REC UNREAD"
            case .receivedRead: "REC READ"
            case .storedUnsent: "STO UNSENT"
            case .storedSent: "STO SENT"
            }
        }

        /// The status a text-mode word names, case-insensitively.
        init?(text: String) {
            guard let status = Self.allCases.first(where: { $0.text == text.uppercased() }) else { return nil }
            self = status
        }
    }

    /// Read or not, sent or not.
    fileprivate(set) var status: Status
    /// `<oa>`: who sent it.
    let address: String
    /// `<scts>`: when the service centre took it, `yy/MM/dd,hh:mm:ss±zz`.
    let timestamp: String
    /// The message text, as typed.
    let text: String
}

/// The SIM's short-message storage (`"SM"`, the only one this emulation has) and the message
/// reference counter of `AT+CMGS`. Messages survive a reboot, as on a SIM.
struct MessageStore: Equatable, Sendable {
    /// How many messages the SIM holds (`<total>` of `AT+CPMS`).
    static let capacity = 50
    /// The storages `AT+CPMS` accepts (SIM800 manual §4.2.9); all of them are the SIM's here.
    static let memoryNames = ["SM", "ME", "SM_P", "ME_P", "MT"]

    private(set) var messages: [Int: StoredMessage] = [:]
    /// The last `<mr>` `AT+CMGS` gave (0–255, wrapping).
    private(set) var lastReference = 0
    /// `AT+CPMS`'s `<mem1>`, `<mem2>`, `<mem3>`.
    private(set) var memories = ["SM", "SM", "SM"]

    var used: Int { messages.count }

    /// A message arrived: stored at the lowest free index, returned; `nil` when the storage is full.
    mutating func receive(from address: String, text: String, timestamp: String) -> Int? {
        guard let index = (1...Self.capacity).first(where: { messages[$0] == nil }) else { return nil }
        messages[index] = StoredMessage(status: .receivedUnread, address: address, timestamp: timestamp, text: text)
        return index
    }

    /// `AT+CMGR` / `AT+CMGL`: the message at `index`; an unread one becomes read unless `peek`.
    mutating func read(_ index: Int, peek: Bool) -> StoredMessage? {
        guard let message = messages[index] else { return nil }
        if !peek, message.status == .receivedUnread { messages[index]?.status = .receivedRead }
        return message
    }

    /// The indices of the messages `AT+CMGL` lists for `status` (`nil`: all), in order.
    func indices(matching status: StoredMessage.Status?) -> [Int] {
        messages.keys.sorted().filter { status == nil || messages[$0]?.status == status }
    }

    /// `AT+CMGD=<index>`: deletes one message (nothing when the index is free).
    mutating func delete(_ index: Int) {
        messages[index] = nil
    }

    /// `AT+CMGD=…,<delflag>` and `AT+CMGDA`: deletes every message whose status is in `statuses`.
    mutating func deleteAll(_ statuses: Set<StoredMessage.Status>) {
        messages = messages.filter { !statuses.contains($0.value.status) }
    }

    /// `AT+CMGS` sent a message: its reference.
    mutating func nextReference() -> Int {
        lastReference = (lastReference + 1) % 256
        return lastReference
    }

    /// `AT+CPMS=<mem1>[,<mem2>[,<mem3>]]` (names already checked).
    mutating func select(_ names: [String]) {
        for (slot, name) in names.enumerated() where slot < memories.count { memories[slot] = name }
    }
}
