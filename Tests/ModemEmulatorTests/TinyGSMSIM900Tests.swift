import Foundation
import ModemCore
import ModemEmulator
import ModemProtocol
import TestSupport
import Testing

/// TinyGSM built with `TINY_GSM_MODEM_SIM900` (the SIM800 class without `AT+CIPSSL`) against
/// `--model sim900`, with `TINY_GSM_MUX_COUNT` raised to the SIM900's eight links so that links 6
/// and 7 carry data too.
@Suite("TinyGSM SIM900 sequence", .timeLimit(.minutes(1)))
struct TinyGSMSIM900Tests {
    static func sim900(_ options: inout EmulatorOptions) {
        options.modem.modem = ModemConfiguration(model: .sim900)
    }

    @Test("init, identity, gprsConnect, then connect, write, read and stop on links 0, 6 and 7")
    func sequence() async throws {
        try await withServer(TestTCPServer.start()) { server in
            try await Harness.run(Self.sim900) { harness in
                let gsm = TinyGSMHost(stream: harness.host.stream, sim900: true, muxCount: 8)
                gsm.fragmentGap = .milliseconds(1)
                #expect(try await gsm.initModem())
                #expect(try await gsm.getModemInfo() == "SIM900 R11.0")
                #expect(try await gsm.getModemModel() == "SIMCOM_SIM900")
                #expect(try await gsm.getModemRevision() == ModuleFamily.sim900.identityTexts.revision)
                #expect(try await gsm.gprsConnect(apn: "internet"))
                gsm.availabilityCheck = nil
                gsm.clearLog()

                for mux in [0, 6, 7] {
                    #expect(try await gsm.connect(mux, host: "127.0.0.1", port: server.port))
                    #expect(try await gsm.linkStateIndex(mux) == 1, "link \(mux) is CONNECTED")
                }
                // No AT+CIPSSL on a SIM900 build: stop (quick close), then AT+CIPSTART.
                let commands = gsm.log.map(\.command)
                #expect(!commands.contains { $0.hasPrefix("AT+CIPSSL") })
                #expect(commands.contains("AT+CIPSTART=7,\"TCP\",\"127.0.0.1\",\(server.port)"))
                #expect(
                    gsm.log.last?.reply
                        == "\r\n+CIPSTATUS: 7,0,\"TCP\",\"127.0.0.1\",\"\(server.port)\",\"CONNECTED\"\r\n\r\nOK\r\n")

                for mux in [0, 6, 7] {
                    let payload = Array("link \(mux) says hello".utf8)
                    #expect(try await gsm.write(mux, payload) == payload.count)
                    try await gsm.waitForURC()
                    #expect(try await gsm.available(mux) == payload.count)
                    #expect(try await gsm.read(mux, size: payload.count) == payload, "echo through link \(mux)")
                }
                for mux in [0, 6, 7] {
                    #expect(try await gsm.stop(mux) == 1, "AT+CIPCLOSE=\(mux),1 answers CLOSE OK")
                    #expect(try await !gsm.connected(mux))
                }
                #expect(try await gsm.gprsDisconnect())
            }
        }
    }
}
