// swift-tools-version:6.0
import PackageDescription

// Module graph (one way): Text and Seq are independent; Translate uses both; parley uses Translate.
// CKernels holds the few hand-written AVX-512 kernels, chosen at run time (C function target
// attributes; Swift has no per-function ISA). CICU keeps the system ICU behind plain C types (Foundation bundles its own ICU whose headers
// clash with the system's); CBLAS is OpenBLAS on Linux, Accelerate on Apple platforms.
// The tensor kernels are written to be auto-vectorised; on x86-64 let the compiler use AVX2 and
// FMA (every machine Parley targets has them; the default baseline is SSE2).
#if arch(x86_64)
let vectorISA: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"], .when(platforms: [.linux]))]
#else
let vectorISA: [SwiftSetting] = []
#endif

let package = Package(
    name: "Parley",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Text", targets: ["Text"]),
        .library(name: "Seq", targets: ["Seq"]),
        .library(name: "Translate", targets: ["Translate"]),
        .executable(name: "parley", targets: ["parley"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .target(
            name: "CICU",
            linkerSettings: [
                .linkedLibrary("icui18n"), .linkedLibrary("icuuc"), .linkedLibrary("icudata"),
            ]
        ),
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "CKernels"),
        .target(name: "Text", dependencies: ["CICU"]),
        .target(
            name: "Seq",
            dependencies: ["CKernels", .target(name: "CBLAS", condition: .when(platforms: [.linux]))],
            swiftSettings: vectorISA
        ),
        .target(name: "Translate", dependencies: ["Text", "Seq", "Yams"]),
        .executableTarget(
            name: "parley",
            dependencies: ["Translate", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(name: "TestSupport", dependencies: ["Seq"], path: "Sources/TestSupport"),
        .testTarget(name: "TextTests", dependencies: ["Text", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SeqTests", dependencies: ["Seq", "CKernels", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TranslateTests", dependencies: ["Translate", "TestSupport"], resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v5]
)
