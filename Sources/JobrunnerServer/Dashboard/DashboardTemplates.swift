import Foundation
import JobrunnerCore
import Mustache

/// The dashboard's mustache templates and static assets, shipped as resources of this module
/// (`Resources/templates`, `Resources/assets`) and loaded once at start-up.
public struct DashboardTemplates: Sendable {
    let library: MustacheLibrary
    let assets: [String: (contentType: String, bytes: [UInt8])]

    /// Loads from the module's resource bundle (next to the executable in a deployment).
    public static func bundled() throws -> DashboardTemplates {
        // Foundation on Linux already points `resourceURL` into the copied `Resources` folder;
        // elsewhere it is the bundle's resource directory that holds it.
        let candidates = [Bundle.module.resourceURL, Bundle.module.resourceURL?.appendingPathComponent("Resources")]
            .compactMap { $0 }
        guard
            let directory = candidates.first(where: {
                FileManager.default.fileExists(atPath: $0.appendingPathComponent("templates").path)
            })
        else {
            throw DashboardTemplatesError(
                reason: "no templates under \(candidates.map(\.path).joined(separator: " or "))")
        }
        return try DashboardTemplates(directory: directory)
    }

    init(directory: URL) throws {
        var library = MustacheLibrary()
        let templates = directory.appendingPathComponent("templates")
        let names = try FileManager.default.contentsOfDirectory(atPath: templates.path).filter { $0.hasSuffix(".mustache") }
        guard !names.isEmpty else { throw DashboardTemplatesError(reason: "no templates in \(templates.path)") }
        for name in names {
            let text = try String(contentsOf: templates.appendingPathComponent(name), encoding: .utf8)
            do {
                try library.register(text, named: String(name.dropLast(".mustache".count)))
            } catch {
                throw DashboardTemplatesError(reason: "template \(name) does not parse: \(error)")
            }
        }
        self.library = library
        var assets: [String: (String, [UInt8])] = [:]
        let assetDirectory = directory.appendingPathComponent("assets")
        for name in try FileManager.default.contentsOfDirectory(atPath: assetDirectory.path) {
            let type =
                name.hasSuffix(".css") ? "text/css; charset=utf-8"
                : name.hasSuffix(".js") ? "text/javascript; charset=utf-8" : "application/octet-stream"
            assets[name] = (type, Array(try Data(contentsOf: assetDirectory.appendingPathComponent(name))))
        }
        self.assets = assets
    }

    /// Every string shown has its invisible and reordering characters (bidi and zero-width
    /// controls, C0/C1 controls but line feeds and tabs) written out as `\u{XXXX}`: a script's
    /// name or output cannot make the page read differently from what was recorded.
    func render(_ name: String, _ values: [String: Any]) -> String {
        library.render(Self.visible(values), withTemplate: name) ?? "template \(name) is missing"
    }

    /// `values` as the dashboard shows them (its live stream too).
    static func visible(_ values: [String: Any]) -> [String: Any] {
        values.mapValues(visible)
    }

    static func visible(_ value: Any) -> Any {
        switch value {
        case let text as String: MarkdownText.visible(text, keepingLayout: true)
        case let object as [String: Any]: object.mapValues(visible)
        case let list as [Any]: list.map(visible)
        default: value
        }
    }
}

/// The dashboard's resources could not be loaded: the deployment lacks the resource bundle.
public struct DashboardTemplatesError: Error, CustomStringConvertible {
    public var reason: String
    public var description: String {
        "dashboard templates: \(reason) — deploy the jobrunner_JobrunnerServer.resources directory next to the jobrunner binary"
    }
}
