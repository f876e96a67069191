// swift-tools-version: 6.1
import PackageDescription

// Benchmarks live in their own package so that users and CI of ModemKit do not build them.
let package = Package(
    name: "ModemKitBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "ModemKit", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "ModemBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ModemProtocol", package: "ModemKit"),
                .product(name: "ModemCore", package: "ModemKit"),
                .product(name: "ModemEmulator", package: "ModemKit"),
                .product(name: "ModemClient", package: "ModemKit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/ModemBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ],
    swiftLanguageModes: [.v6]
)
