/// The GNSS receiver of the SIM808 and SIM868 (SIM808 GNSS application note, `AT+CGNS…`, and the
/// older `AT+CGPS…` commands of SIM808 R13 firmware). One receiver answers both sets.
///
/// The emulation has no sky: once powered, the receiver has a 3D fix at the configured position
/// (``ModemIdentity/latitude``, ``ModemIdentity/longitude``) at once.
struct GNSSReceiver: Equatable, Sendable {
    private(set) var powered = false
    /// `AT+CGNSTST`: NMEA sentences to the UART (stored; the emulation sends none).
    private(set) var nmeaToSerial = false
    /// `AT+CGNSSEQ`: the NMEA sentence whose fields `AT+CGNSINF` reports first.
    private(set) var sequence = "RMC"
    /// `AT+CGPSOUT`: the NMEA output mask of the older command set.
    private(set) var outputMask = 0

    /// `AT+CGNSPWR=<n>` / `AT+CGPSPWR=<n>`.
    mutating func setPower(_ on: Bool) {
        powered = on
    }

    /// `AT+CGNSTST=<n>`.
    mutating func setNMEAOutput(_ on: Bool) {
        nmeaToSerial = on
    }

    /// `AT+CGNSSEQ="<sentence>"` (checked).
    mutating func setSequence(_ sentence: String) {
        sequence = sentence
    }

    /// `AT+CGPSOUT=<mask>`.
    mutating func setOutputMask(_ mask: Int) {
        outputMask = mask
    }
}
