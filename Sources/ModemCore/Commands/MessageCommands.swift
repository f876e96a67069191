import ModemProtocol

/// Short messages (SIM800 manual chapter 4, 3GPP TS 27.005): `AT+CMGS` with its `> ` prompt,
/// `AT+CMGR`, `AT+CMGL`, `AT+CMGD`, `AT+CMGDA` (§6.2.25), `AT+CPMS`, `AT+CNMI`, `AT+CSMP`,
/// `AT+CSDH`, `AT+CSCA`. `AT+CMGF` is a plain setting (GeneralCommands.swift).
///
/// The emulated network delivers nothing by itself: a message sent to the SIM's own number
/// (``ModemIdentity/subscriberNumber``) comes back as a received one, announced as `AT+CNMI` says.
extension Modem {
    mutating func executeMessage(_ command: ATCommand) -> CommandOutcome? {
        switch command.name {
        case "+CMGS": return cmgs(command)
        case "+CMGR": return cmgr(command)
        case "+CMGL": return cmgl(command)
        case "+CMGD": return cmgd(command)
        case "+CMGDA": return cmgda(command)
        case "+CPMS": return cpms(command)
        case "+CNMI":
            return numberList(command, \.messageIndications, ranges: [0...3, 0...3, 0...3, 0...2, 0...1], required: 1)
        case "+CSMP":
            return numberList(command, \.messageParameters, ranges: [0...255, 0...255, 0...255, 0...255], required: 1)
        case "+CSDH":
            return flagSetting(command, range: 0...1, current: settings.misc["+CSDH"] ?? 0) {
                $0.settings.misc["+CSDH"] = $1
            }
        case "+CSCA": return csca(command)
        default: return nil
        }
    }

    /// Text mode (`AT+CMGF=1`) rather than PDU mode.
    var textMode: Bool { settings.misc["+CMGF"] == 1 }

    // MARK: Sending

    /// `AT+CMGS="<da>"[,<toda>]` (text mode) or `AT+CMGS=<length>` (PDU mode) (§4.2.5): the `> `
    /// prompt, then the text up to Ctrl-Z (ESC cancels, with no result), then `+CMGS: <mr>`.
    private mutating func cmgs(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test: return .ok
        case .read, .execute: return .error(nil)
        case .write(let arguments):
            var destination: String?
            var length = 0
            if textMode {
                guard (1...2).contains(arguments.count), case .string(let number) = arguments[0],
                    Self.isDialNumber(number), arguments.count == 1 || command.integer(1, in: 128...255) != nil
                else { return .messageError(304) }
                destination = number
            } else {
                guard let pduLength = command.singleInteger(in: 1...175) else { return .messageError(304) }
                length = pduLength
            }
            if settings.formatter.verbose { output.serial.append(contentsOf: [0x0D, 0x0A]) }
            output.serial.append(contentsOf: [0x3E, 0x20])
            interpreter.wait(.composingMessage(destination: destination, pduLength: length))
            interpreter.beginData(.dataUntilCtrlZ(maximum: Self.maximumMessageInput))
            return .waiting
        }
    }

    /// The most bytes one `AT+CMGS` takes: a PDU of 175 octets with its service centre, in hex.
    static let maximumMessageInput = 400

    /// The text (or PDU) of `AT+CMGS` arrived.
    mutating func messageComposed(_ bytes: [UInt8], destination: String?, pduLength: Int) {
        guard radio.registered else {
            complete(with: .messageError(331))
            return
        }
        guard destination != nil || Self.isHexPDU(bytes) else {
            complete(with: .messageError(304))
            return
        }
        info("+CMGS: \(messages.nextReference())")
        complete(with: .ok)
        guard let destination, Self.sameNumber(destination, configuration.identity.subscriberNumber) else { return }
        deliver(String(decoding: bytes, as: UTF8.self), from: configuration.identity.subscriberNumber)
    }

    /// A message arrives from the network: stored and announced with `+CMTI`, or shown with `+CMT`
    /// (`AT+CNMI`'s `<mt>`).
    mutating func deliver(_ text: String, from address: String) {
        let timestamp = clockText
        switch settings.messageIndications[1] {
        case 2, 3:
            emitURC("+CMT: \"\(address)\",\"\",\"\(timestamp)\"\r\n" + text)
        default:
            guard let index = messages.receive(from: address, text: text, timestamp: timestamp) else { return }
            if settings.messageIndications[1] == 1 { emitURC("+CMTI: \"\(messages.memories[2])\",\(index)") }
        }
    }

    // MARK: Reading and deleting

    /// `AT+CMGR=<index>[,<mode>]` (§4.2.4): the message, or just `OK` for a free index.
    private mutating func cmgr(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test: return .ok
        case .read, .execute: return .error(nil)
        case .write(let arguments):
            guard (1...2).contains(arguments.count), let index = command.integer(0, in: 0...999),
                arguments.count == 1 || command.integer(1, in: 0...1) != nil
            else { return .messageError(302) }
            guard (1...MessageStore.capacity).contains(index) else { return .messageError(321) }
            guard let message = messages.read(index, peek: command.integer(1, in: 0...1) == 1) else { return .ok }
            if textMode {
                var header = "+CMGR: \"\(message.status.text)\",\"\(message.address)\",\"\",\"\(message.timestamp)\""
                if settings.misc["+CSDH"] == 1 {
                    header += ",\(Self.numberType(message.address)),4,0,0,\"\(serviceCentreAddress)\","
                        + "\(Self.numberType(serviceCentreAddress)),\(message.text.utf8.count)"
                }
                info(header + "\r\n" + message.text)
            } else {
                let pdu = DeliverPDU(message, serviceCentre: serviceCentreAddress)
                info("+CMGR: \(message.status.rawValue),,\(pdu.length)\r\n" + pdu.hex)
            }
            return .ok
        }
    }

    /// `AT+CMGL=<stat>[,<mode>]` (§4.2.3): every message of that status, then `OK`.
    private mutating func cmgl(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info(textMode ? "+CMGL: (\"REC UNREAD\",\"REC READ\",\"STO UNSENT\",\"STO SENT\",\"ALL\")" : "+CMGL: (0-4)")
            return .ok
        case .read: return .error(nil)
        case .execute, .write:
            let arguments = command.arguments
            guard arguments.count <= 2, arguments.count < 2 || command.integer(1, in: 0...1) != nil else {
                return .messageError(302)
            }
            var filter: StoredMessage.Status?
            if let first = arguments.first {
                if textMode {
                    guard case .string(let word) = first else { return .messageError(302) }
                    if word.uppercased() != "ALL" {
                        guard let status = StoredMessage.Status(text: word) else { return .messageError(302) }
                        filter = status
                    }
                } else {
                    guard let value = command.integer(0, in: 0...4) else { return .messageError(302) }
                    filter = StoredMessage.Status(rawValue: value)
                }
            } else {
                filter = .receivedUnread
            }
            let peek = command.integer(1, in: 0...1) == 1
            for index in messages.indices(matching: filter) {
                guard let message = messages.read(index, peek: peek) else { continue }
                listMessage(message, at: index)
            }
            return .ok
        }
    }

    private mutating func listMessage(_ message: StoredMessage, at index: Int) {
        if textMode {
            var header = "+CMGL: \(index),\"\(message.status.text)\",\"\(message.address)\",\"\","
                + "\"\(message.timestamp)\""
            if settings.misc["+CSDH"] == 1 {
                header += ",\(Self.numberType(message.address)),\(message.text.utf8.count)"
            }
            info(header + "\r\n" + message.text)
        } else {
            let pdu = DeliverPDU(message, serviceCentre: serviceCentreAddress)
            info("+CMGL: \(index),\(message.status.rawValue),,\(pdu.length)\r\n" + pdu.hex)
        }
    }

    /// `AT+CMGD=<index>[,<delflag>]` (§4.2.1): `<delflag>` 1 read, 2 read and sent, 3 read, sent
    /// and unsent, 4 all; a free index is no error.
    private mutating func cmgd(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test:
            info("+CMGD: (1-\(MessageStore.capacity)),(0-4)")
            return .ok
        case .read, .execute: return .error(nil)
        case .write(let arguments):
            guard (1...2).contains(arguments.count), let index = command.integer(0, in: 0...999) else {
                return .messageError(302)
            }
            let flag = arguments.count == 2 ? command.integer(1, in: 0...4) : 0
            guard let flag else { return .messageError(302) }
            guard flag > 0 || (1...MessageStore.capacity).contains(index) else { return .messageError(321) }
            let deleted: [[StoredMessage.Status]] = [
                [], [.receivedRead], [.receivedRead, .storedSent], [.receivedRead, .storedSent, .storedUnsent],
                StoredMessage.Status.allCases,
            ]
            if flag == 0 { messages.delete(index) } else { messages.deleteAll(Set(deleted[flag])) }
            return .ok
        }
    }

    /// `AT+CMGDA="<type>"` (text mode) or `AT+CMGDA=<n>` (PDU mode) (§6.2.25). The words are taken
    /// in any case (steib-sim800l sends `"del all"`).
    private mutating func cmgda(_ command: ATCommand) -> CommandOutcome {
        let words = ["DEL READ", "DEL UNREAD", "DEL SENT", "DEL UNSENT", "DEL INBOX", "DEL ALL"]
        let kinds: [[StoredMessage.Status]] = [
            [.receivedRead], [.receivedUnread], [.storedSent], [.storedUnsent], [.receivedRead, .receivedUnread],
            StoredMessage.Status.allCases,
        ]
        switch command.form {
        case .test:
            info(textMode ? "+CMGDA: (" + words.map { "\"\($0)\"" }.joined(separator: ",") + ")" : "+CMGDA: (1-6)")
            return .ok
        case .read, .execute: return .error(nil)
        case .write(let arguments):
            guard arguments.count == 1 else { return .messageError(302) }
            let kind: Int?
            if textMode, case .string(let word) = arguments[0] {
                kind = words.firstIndex(of: word.uppercased())
            } else {
                kind = textMode ? nil : command.integer(0, in: 1...6).map { $0 - 1 }
            }
            guard let kind else { return .messageError(302) }
            messages.deleteAll(Set(kinds[kind]))
            return .ok
        }
    }

    // MARK: Settings

    /// `AT+CPMS="<mem1>"[,"<mem2>"[,"<mem3>"]]` (§4.2.9): every storage is the SIM's.
    private mutating func cpms(_ command: ATCommand) -> CommandOutcome {
        let total = MessageStore.capacity
        switch command.form {
        case .test:
            let names = "(" + MessageStore.memoryNames.map { "\"\($0)\"" }.joined(separator: ",") + ")"
            info("+CPMS: \(names),\(names),\(names)")
            return .ok
        case .read:
            info("+CPMS: " + messages.memories.map { "\"\($0)\",\(messages.used),\(total)" }.joined(separator: ","))
            return .ok
        case .execute: return .error(nil)
        case .write(let arguments):
            let names = arguments.compactMap { $0.text?.uppercased() }
            guard (1...3).contains(arguments.count), names.count == arguments.count,
                names.allSatisfy(MessageStore.memoryNames.contains)
            else { return .messageError(302) }
            messages.select(names)
            info("+CPMS: " + Array(repeating: "\(messages.used),\(total)", count: 3).joined(separator: ","))
            return .ok
        }
    }

    /// The service centre messages go through: `AT+CSCA`'s, else the SIM's.
    var serviceCentreAddress: String { settings.serviceCentre ?? configuration.identity.serviceCentre }

    /// `AT+CSCA="<sca>"[,<tosca>]` (§4.2.6).
    private mutating func csca(_ command: ATCommand) -> CommandOutcome {
        switch command.form {
        case .test: return .ok
        case .read:
            info("+CSCA: \"\(serviceCentreAddress)\",\(Self.numberType(serviceCentreAddress))")
            return .ok
        case .execute: return .error(nil)
        case .write(let arguments):
            guard (1...2).contains(arguments.count), case .string(let number) = arguments[0], Self.isDialNumber(number),
                arguments.count == 1 || command.integer(1, in: 128...255) != nil
            else { return .error(nil) }
            settings.serviceCentre = number
            return .ok
        }
    }

    /// A setting of several numbers, the first `required` of them needed (`AT+CNMI`, `AT+CSMP`):
    /// read gives them all, test their ranges.
    mutating func numberList(
        _ command: ATCommand, _ setting: WritableKeyPath<Settings, [Int]>, ranges: [ClosedRange<Int>], required: Int
    ) -> CommandOutcome {
        switch command.form {
        case .read:
            info("\(command.name): " + settings[keyPath: setting].map(String.init).joined(separator: ","))
            return .ok
        case .test:
            info("\(command.name): " + ranges.map { "(\($0.lowerBound)-\($0.upperBound))" }.joined(separator: ","))
            return .ok
        case .execute: return .error(nil)
        case .write(let arguments):
            guard (required...ranges.count).contains(arguments.count) else { return .error(nil) }
            var values = settings[keyPath: setting]
            for (index, range) in ranges.enumerated() where index < arguments.count {
                guard arguments[index] != .empty else { continue }
                guard let value = command.integer(index, in: range) else { return .error(nil) }
                values[index] = value
            }
            settings[keyPath: setting] = values
            return .ok
        }
    }

    // MARK: Numbers

    /// A dialable number: digits, `+`, `*`, `#`, up to 40 characters.
    static func isDialNumber(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 40
            && text.utf8.allSatisfy { (0x30...0x39).contains($0) || $0 == 0x2B || $0 == 0x2A || $0 == 0x23 }
    }

    /// `<type>` of a number: 145 international, 129 otherwise.
    static func numberType(_ number: String) -> Int { number.hasPrefix("+") ? 145 : 129 }

    /// Whether two numbers are the same subscriber (their digits match).
    static func sameNumber(_ a: String, _ b: String) -> Bool {
        a.filter(\.isNumber) == b.filter(\.isNumber)
    }

    private static func isHexPDU(_ bytes: [UInt8]) -> Bool {
        !bytes.isEmpty && bytes.count.isMultiple(of: 2)
            && bytes.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x46).contains($0 & 0xDF) }
    }
}
