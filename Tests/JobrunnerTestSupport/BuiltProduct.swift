import Foundation

/// Executables the package builds (`jobrunner`, `jobrunner-store-probe`), found next to the
/// test binary, so tests run them as users do.
public enum BuiltProduct {
    public static func path(_ name: String) -> String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent(name).path),
            directory.path != "/"
        {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent(name).path
    }
}
