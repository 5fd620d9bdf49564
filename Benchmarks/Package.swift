// swift-tools-version:6.1
// Benchmarks live in their own package so the product's build and CI stay lean (Hummingbird does the same).
// Run: swift run -c release --package-path Benchmarks HubBench  (and FleetSim; see BENCHMARKS.md)
import PackageDescription

let package = Package(
    name: "docker-librato-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "docker-librato", path: "..")],
    targets: [
        .target(name: "CHeapInfo", path: "Sources/CHeapInfo"),
        .executableTarget(
            name: "HubBench",
            dependencies: [
                .product(name: "DockerLibratoKit", package: "docker-librato"),
                .product(name: "DockerLibratoTesting", package: "docker-librato"),
                "CHeapInfo",
            ],
            path: "Sources/HubBench"
        ),
        .executableTarget(
            name: "FleetSim",
            dependencies: [
                .product(name: "DockerLibratoKit", package: "docker-librato"),
                .product(name: "DockerLibratoTesting", package: "docker-librato"),
            ],
            path: "Sources/FleetSim"
        ),
    ]
)
