/// The languages Jobrunner builds and runs out of the box, by file extension. More toolchains
/// can be configured; intake accepts any extension a toolchain is known for.
public enum ScriptLanguage: String, CaseIterable, Sendable {
    case typescript = "ts"
    case javascript = "js"
    case javascriptModule = "mjs"
    case shell = "sh"
    case python = "py"
    case swift = "swift"

    public static var builtInExtensions: Set<String> { Set(allCases.map(\.rawValue)) }
}
