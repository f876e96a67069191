/// A stored message as PDU mode shows it (`AT+CMGF=0`): an SMS-DELIVER TPDU (3GPP TS 23.040
/// §9.2.2.1) after its service centre address, in upper-case hex. Text of the GSM default alphabet's
/// ASCII subset is packed into septets (DCS 0); any other text is sent as UCS2 (DCS 8).
struct DeliverPDU {
    /// The PDU in hex digits, service centre included.
    let hex: String
    /// `<length>` of `+CMGR`/`+CMGL`: the TPDU's octets, the service centre not counted.
    let length: Int

    init(_ message: StoredMessage, serviceCentre: String) {
        let centre = Self.address(serviceCentre)
        let centreField = [UInt8(centre.count)] + centre
        var tpdu: [UInt8] = [0x04]  // SMS-DELIVER, no more messages to send
        let originator = Self.address(message.address)
        tpdu += [UInt8(message.address.filter(\.isNumber).count)] + originator
        let septets = Self.septets(message.text)
        tpdu += [0x00, septets == nil ? 0x08 : 0x00]  // PID, DCS
        tpdu += Self.timestamp(message.timestamp)
        if let septets {
            tpdu.append(UInt8(septets.count))
            tpdu += Self.pack(septets)
        } else {
            let units = Array(message.text.utf16.prefix(70))
            tpdu.append(UInt8(units.count * 2))
            for unit in units { tpdu += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
        }
        hex = String(decoding: hexDigits(centreField + tpdu), as: UTF8.self)
        length = tpdu.count
    }

    /// Type of address and semi-octets of a number (`+` → 0x91, else 0x81).
    private static func address(_ number: String) -> [UInt8] {
        [number.hasPrefix("+") ? 0x91 : 0x81] + semiOctets(number.compactMap(\.wholeNumberValue))
    }

    /// Digits two to an octet, low nibble first, an odd count padded with F.
    private static func semiOctets(_ digits: [Int]) -> [UInt8] {
        stride(from: 0, to: digits.count, by: 2).map { start in
            let high = start + 1 < digits.count ? digits[start + 1] : 0xF
            return UInt8(high << 4 | digits[start])
        }
    }

    /// `yy/MM/dd,hh:mm:ss±zz` as the service centre time stamp's seven semi-octet pairs.
    private static func timestamp(_ text: String) -> [UInt8] {
        let digits = text.compactMap(\.wholeNumberValue)
        guard digits.count >= 14 else { return Array(repeating: 0, count: 7) }
        var octets = semiOctets(Array(digits.prefix(12)))
        let zone = digits.count >= 14 ? digits[12] * 10 + digits[13] : 0
        var zoneOctet = semiOctets([zone / 10, zone % 10])[0]
        if text.contains("-") { zoneOctet |= 0x08 }
        octets.append(zoneOctet)
        return octets
    }

    /// The text as GSM default-alphabet septets when every character is one whose code there is its
    /// ASCII code; `nil` otherwise. At most 160.
    private static func septets(_ text: String) -> [UInt8]? {
        let differing: Set<UInt8> = [0x24, 0x40, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F, 0x60, 0x7B, 0x7C, 0x7D, 0x7E]
        let bytes = Array(text.utf8.prefix(160))
        let allowed = bytes.allSatisfy {
            ($0 >= 0x20 && $0 < 0x7F && !differing.contains($0)) || $0 == 0x0A || $0 == 0x0D
        }
        return allowed ? bytes : nil
    }

    /// Seven-bit packing (3GPP TS 23.038 §6.1.2.1.1).
    private static func pack(_ septets: [UInt8]) -> [UInt8] {
        var octets: [UInt8] = []
        var carry = 0
        var bits = 0
        for septet in septets {
            carry |= Int(septet) << bits
            bits += 7
            while bits >= 8 {
                octets.append(UInt8(carry & 0xFF))
                carry >>= 8
                bits -= 8
            }
        }
        if bits > 0 { octets.append(UInt8(carry & 0xFF)) }
        return octets
    }
}
