import FuzzSupport
import ModemProtocol

/// `CIPSTATUSDecoder` on any bytes a serial line may deliver: a whole reply (in the mode the
/// first byte says, or unknown), each of its lines, and the reply to `AT+CIPSTATUS=<n>`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let multiConnection: Bool? = [nil, false, true][Int(input.byte() % 3)]
    let bytes = input.rest()
    let text = String(decoding: bytes, as: UTF8.self)

    let fromText = Result { () throws(CIPSTATUSDecodingError) in
        try CIPSTATUSDecoder.decodeStatus(text, multiConnection: multiConnection)
    }
    let fromBytes = Result { () throws(CIPSTATUSDecodingError) in
        try CIPSTATUSDecoder.decodeStatus(bytes: bytes, multiConnection: multiConnection)
    }
    // The byte and text entry points read the same reply the same way when the bytes are text.
    if String(validating: bytes, as: UTF8.self) != nil {
        fuzzCheck(fromText == fromBytes, "decodeStatus(bytes:) and decodeStatus(_:) disagree")
    }
    for line in text.split(whereSeparator: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) {
        _ = try? CIPSTATUSDecoder.decodeLine(line)
    }
    _ = try? CIPSTATUSDecoder.decodeLink(text)
    return 0
}
