// swift-tools-version:6.1
// docker-librato: container metrics for Librato Metrics across fleets of Docker hosts.
// One executable (`docker-librato`) over libraries with one concept each; see docs/ARCHITECTURE.md.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "docker-librato",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "docker-librato", targets: ["DockerLibratoCLI"]),
        .library(name: "DockerLibratoTesting", targets: ["DockerLibratoTesting"]),
        // The role libraries, for the benchmarks package (Benchmarks/) and embedders.
        .library(name: "DockerLibratoKit", targets: ["Timekeeping", "ContainerMetrics", "WireFormat", "Nanomsg", "Hub", "Collector", "Librato", "DockerEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // MARK: nanomsg
        .systemLibrary(
            name: "CNanomsg",
            pkgConfig: "nanomsg",
            providers: [.apt(["libnanomsg-dev"])]
        ),
        .target(
            name: "Nanomsg",
            dependencies: ["CNanomsg"],
            swiftSettings: swiftSettings
        ),

        // MARK: a software prefetch hint (header-only; the hub's ingest asks for the next containers' state early)
        .systemLibrary(name: "CPrefetch"),

        // MARK: time: the one wall clock (WallClock, WallTime)
        .target(
            name: "Timekeeping",
            swiftSettings: swiftSettings
        ),

        // MARK: pure model: samples, stats maths, l2met
        .target(
            name: "ContainerMetrics",
            swiftSettings: swiftSettings
        ),

        // MARK: a small HTTP/1.1 server for /healthz, /metrics and status pages (hub and collector)
        .target(
            name: "StatusHTTP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: wire format (frames, records, AEAD seal)
        .target(
            name: "WireFormat",
            dependencies: [
                "ContainerMetrics",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Docker Engine API client
        .target(
            name: "DockerEngine",
            dependencies: [
                "ContainerMetrics",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Librato API client
        .target(
            name: "Librato",
            dependencies: [
                "Timekeeping",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: roles
        .target(
            name: "Collector",
            dependencies: [
                "ContainerMetrics", "WireFormat", "DockerEngine", "Nanomsg", "Timekeeping", "StatusHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Hub",
            dependencies: [
                "ContainerMetrics", "WireFormat", "Nanomsg", "Librato", "Timekeeping", "StatusHTTP", "CPrefetch",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: the executable
        .executableTarget(
            name: "DockerLibratoCLI",
            dependencies: [
                "Collector", "Hub", "Librato", "WireFormat", "DockerEngine", "Nanomsg", "Timekeeping", "StatusHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: testing library (fake Librato, dockerd helpers, process helpers)
        .target(
            name: "DockerLibratoTesting",
            dependencies: [
                "Librato", "DockerEngine", "WireFormat", "Nanomsg", "Timekeeping",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: tests
        .testTarget(name: "NanomsgTests", dependencies: ["Nanomsg", "DockerLibratoTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "ContainerMetricsTests", dependencies: ["ContainerMetrics"], swiftSettings: swiftSettings),
        .testTarget(
            name: "WireFormatTests", dependencies: ["WireFormat", "ContainerMetrics", "DockerLibratoTesting", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LibratoTests",
            dependencies: [
                "Librato", "DockerLibratoTesting", "Timekeeping",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HubTests",
            dependencies: [
                "Hub", "WireFormat", "ContainerMetrics", "Librato", "Nanomsg", "DockerLibratoTesting", "Timekeeping",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaultMatrixTests",
            dependencies: ["DockerLibratoTesting", "Librato", "WireFormat"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DockerEngineTests",
            dependencies: ["DockerEngine", "ContainerMetrics", "DockerLibratoTesting", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CollectorTests",
            dependencies: [
                "Collector", "ContainerMetrics", "DockerEngine", "WireFormat", "DockerLibratoTesting", "Timekeeping",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CollectorDeliveryTests",
            dependencies: [
                "Collector", "WireFormat", "Nanomsg", "ContainerMetrics", "DockerLibratoTesting", "Timekeeping",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EngineAccessTests",
            dependencies: ["DockerLibratoTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StatsSourceTests",
            dependencies: ["Collector", "DockerEngine", "ContainerMetrics", "DockerLibratoTesting", "Timekeeping"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
    ]
)
