// swift-tools-version: 6.2
import PackageDescription

/// Every target is compiled in Swift 6 language mode with complete concurrency checking.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "jobrunner",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "jobrunner", targets: ["jobrunner"]),
        .library(name: "JobrunnerCore", targets: ["JobrunnerCore"]),
        .library(name: "JobrunnerStore", targets: ["JobrunnerStore"]),
        .library(name: "JobrunnerStoreSQLite", targets: ["JobrunnerStoreSQLite"]),
        .library(name: "JobrunnerStorePostgres", targets: ["JobrunnerStorePostgres"]),
        .library(name: "JobrunnerStages", targets: ["JobrunnerStages"]),
        .library(name: "JobrunnerServer", targets: ["JobrunnerServer"]),
        .library(name: "JobrunnerGitHub", targets: ["JobrunnerGitHub"]),
        .library(name: "JobrunnerGit", targets: ["JobrunnerGit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.60.0"),
        // NIOHTTPTypes: the server's channel handler that answers an overlong request line (414).
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.25.0"),
        // Kubeconfig files are YAML.
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // Domain types, state machine, retry policy, configuration model. No I/O.
        .target(
            name: "JobrunnerCore",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // The durable queue's contract: `PipelineStore` by role, its errors, and what both
        // drivers share (row decoding, the SQL of rules both databases run).
        .target(
            name: "JobrunnerStore",
            dependencies: [
                "JobrunnerCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The store on SQLite (GRDB, group commit, WAL checkpoints beside the writer).
        .target(
            name: "JobrunnerStoreSQLite",
            dependencies: [
                "JobrunnerCore",
                "JobrunnerStore",
                "CSQLiteConfig",
                "CSQLiteWALBuffer",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The store on PostgreSQL (postgres-nio; several nodes share one database).
        .target(
            name: "JobrunnerStorePostgres",
            dependencies: [
                "JobrunnerCore",
                "JobrunnerStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // GitHub: webhook signatures, event payloads, the REST API client.
        .target(
            name: "JobrunnerGitHub",
            dependencies: [
                "JobrunnerCore",
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // Feedback channels that are not GitHub's: signed callbacks (and chat).
        .target(
            name: "JobrunnerFeedback",
            dependencies: [
                "JobrunnerCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // zlib from the system (Debian: zlib1g-dev): GitHub's repository archives are gzip.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // prctl(2) for the service's own hardening (non-dumpable), wrapped for Swift.
        .systemLibrary(name: "CProcessControl"),
        // sqlite3_config(3) for the store's process-wide SQLite settings, wrapped for Swift.
        .systemLibrary(name: "CSQLiteConfig", providers: [.apt(["libsqlite3-dev"])]),
        // The store's SQLite VFS: write-ahead-log writes gathered into one call per commit.
        .target(name: "CSQLiteWALBuffer", linkerSettings: [.linkedLibrary("sqlite3")]),
        // libgit2 from the system (Debian: libgit2-dev), found through pkg-config.
        .systemLibrary(
            name: "CLibgit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        // Git access through libgit2: reading scripts at a commit from a cached clone.
        .target(
            name: "JobrunnerGit",
            dependencies: ["CLibgit2", "JobrunnerCore"],
            swiftSettings: strict
        ),
        // The worker loop and stage handlers.
        .target(
            name: "JobrunnerStages",
            dependencies: [
                "JobrunnerCore",
                "JobrunnerStore",
                "CProcessControl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // EXECUTE as Kubernetes Jobs: the API client, credentials, the Job manifest, the runner.
        .target(
            name: "JobrunnerKubernetes",
            dependencies: [
                "JobrunnerCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        // HTTP application, configuration loading, service assembly.
        .target(
            name: "JobrunnerServer",
            dependencies: [
                "JobrunnerCore",
                "JobrunnerGitHub",
                "JobrunnerGit",
                "JobrunnerFeedback",
                "JobrunnerKubernetes",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                "JobrunnerStore",
                "JobrunnerStoreSQLite",
                "JobrunnerStorePostgres",
                "JobrunnerStages",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "jobrunner",
            dependencies: [
                "JobrunnerCore",
                "JobrunnerStore",
                "JobrunnerStages",
                "JobrunnerServer",
                "JobrunnerGit",
                "JobrunnerGitHub",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The in-process benchmarks `bench/run` drives (queue, commit rate, spawn, push alone).
        .executableTarget(
            name: "jobrunner-bench",
            dependencies: [
                "JobrunnerCore", "JobrunnerStore", "JobrunnerStoreSQLite", "JobrunnerStorePostgres", "JobrunnerStages", "JobrunnerGit",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/Sources/JobrunnerBench",
            swiftSettings: strict
        ),
        // A child process for crash tests: holds leases in a real SQLite file until SIGKILLed.
        .executableTarget(
            name: "jobrunner-store-probe",
            dependencies: ["JobrunnerCore", "JobrunnerStore", "JobrunnerStoreSQLite"],
            path: "Tests/StoreProbe",
            swiftSettings: strict
        ),
        // Test stand-ins shared by the test targets: a manual clock, fixtures, temp dirs.
        .target(
            name: "JobrunnerTestSupport",
            dependencies: [
                "JobrunnerCore", "JobrunnerStore", "JobrunnerStoreSQLite", "JobrunnerStorePostgres", "JobrunnerStages",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/JobrunnerTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "JobrunnerCoreTests",
            dependencies: ["JobrunnerCore", "JobrunnerTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "JobrunnerStoreTests",
            dependencies: [
                "JobrunnerCore", "JobrunnerStore", "JobrunnerStoreSQLite", "JobrunnerStorePostgres", "JobrunnerTestSupport",
                "jobrunner-store-probe",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // Digests of shipped migrations and databases earlier releases wrote, read by path.
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "JobrunnerStagesTests",
            dependencies: [
                "JobrunnerCore", "JobrunnerStore", "JobrunnerStoreSQLite", "JobrunnerStorePostgres", "JobrunnerStages",
                "JobrunnerTestSupport", "JobrunnerGit", "JobrunnerGitHub",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "JobrunnerServerTests",
            dependencies: [
                "JobrunnerServer",
                "JobrunnerTestSupport",
                "JobrunnerStoreSQLite",
                "JobrunnerStorePostgres",
                "JobrunnerStages",
                "JobrunnerGit",
                "jobrunner",
                "jobrunner-store-probe",
                "jobrunner-bench",
                "JobrunnerGitHub",
                "JobrunnerFeedback",
                "JobrunnerKubernetes",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "JobrunnerGitHubTests",
            dependencies: [
                "JobrunnerGitHub", "JobrunnerFeedback", "JobrunnerCore", "JobrunnerTestSupport",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
