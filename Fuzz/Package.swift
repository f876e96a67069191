// swift-tools-version: 6.2
import PackageDescription

// libFuzzer targets for ModemKit's parsers (docs/reliability.md). Built and run by scripts/fuzz.sh:
//   swift build -c release --package-path Fuzz --scratch-path .build-fuzz \
//       --sanitize=fuzzer --sanitize=address -Xswiftc -parse-as-library -Xswiftc -enable-testing
// `-enable-testing` because two targets reach internal types with `@testable import`
// (the client's command engine, the control socket's reply encoding).

/// A fuzz target: an executable whose `LLVMFuzzerTestOneInput` libFuzzer's own `main` calls.
func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: "ModemKit") },
        swiftSettings: [.treatAllWarnings(as: .error)]
    )
}

let package = Package(
    name: "ModemKitFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "ModemKit", path: "..")],
    targets: [
        .target(name: "FuzzSupport", swiftSettings: [.treatAllWarnings(as: .error)]),
        fuzzTarget("FuzzSerialLine", ["ModemProtocol"]),
        fuzzTarget("FuzzModemCore", ["ModemCore", "ModemProtocol"]),
        fuzzTarget("FuzzCIPSTATUS", ["ModemProtocol"]),
        fuzzTarget("FuzzReplyFramer", ["ModemClient", "ModemProtocol"]),
        fuzzTarget("FuzzScenario", ["ModemEmulator"]),
        fuzzTarget("FuzzControl", ["ModemEmulator"]),
    ],
    swiftLanguageModes: [.v6]
)
