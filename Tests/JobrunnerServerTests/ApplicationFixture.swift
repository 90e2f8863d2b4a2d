import Foundation
import JobrunnerTestSupport

/// An application laid out like the ones Jobrunner serves: a monorepo (`packages/server/src`,
/// a tsconfig alias, package.json `imports`) in a real repository, and a deployed copy of the
/// application (`APP_DIR`) whose `node_modules` holds a package the test writes itself.
struct ApplicationFixture {
    let git: GitFixture
    let appDirectory: TemporaryDirectory
    /// The commit before any script: what a not-yet-deployed application runs.
    let base: String

    /// What a script that uses the application prints: its module, the installed package, the
    /// application's settings (one of them secret) and where it ran.
    static let script = """
        // A migration that uses the application's own code and its installed database driver.
        import { renameKey } from "../packages/server/src/db";
        import { settings } from "@server/config";
        import { batchSize } from "#shared/limits";
        import { MongoClient } from "mongodb";

        const client = new MongoClient(process.env.DATABASE_URL ?? "none");
        console.log(renameKey("users", "email", "mail"));
        console.log(client.describe());
        console.log(`environment=${settings.environment} batch=${batchSize} greeting=${process.env.GREETING}`);
        console.log(`api key=${process.env.STRIPE_API_KEY} cwd=${process.cwd()}`);

        """

    /// The package's own code: must stay out of the artifact.
    static let packageMarker = "FAKE-DRIVER-INTERNALS"
    /// The application module's code: must be in the artifact.
    static let moduleMarker = "APP-MODULE-MARKER"

    init() throws {
        git = try GitFixture()
        base = try git.commit([
            "package.json": ##"{ "name": "acme-app", "private": true, "imports": { "#shared/*": "./shared/*.ts" } }"##,
            "tsconfig.json": """
                {
                  // The application's aliases, as its own build uses them.
                  "compilerOptions": {
                    "baseUrl": ".",
                    "paths": { "@server/*": ["packages/server/src/*"], },
                  },
                }
                """,
            "packages/server/src/db.ts": """
                export function renameKey(collection: string, from: string, to: string): string {
                  return `renamed ${collection}.${from} to ${collection}.${to} (\(Self.moduleMarker))`;
                }

                """,
            "packages/server/src/config.ts": "export const settings = { environment: \"production\" };\n",
            "shared/limits.ts": "export const batchSize = 500;\n",
            "jobs/README.md": "Scripts land here.\n",
        ], message: "The application")
        appDirectory = try TemporaryDirectory("app")
        let driver = appDirectory.file("node_modules/mongodb")
        try FileManager.default.createDirectory(atPath: driver, withIntermediateDirectories: true)
        try #"{ "name": "mongodb", "version": "6.0.0-test", "type": "module", "exports": "./index.js" }"#
            .write(toFile: driver + "/package.json", atomically: true, encoding: .utf8)
        try """
            // \(Self.packageMarker)
            export class MongoClient {
              constructor(url) { this.url = url; }
              describe() { return `driver connected to ${this.url}`; }
            }

            """.write(toFile: driver + "/index.js", atomically: true, encoding: .utf8)
        try #"{ "name": "acme-app", "lockfileVersion": 3, "packages": { "node_modules/mongodb": { "version": "6.0.0-test" } } }"#
            .write(toFile: appDirectory.file("package-lock.json"), atomically: true, encoding: .utf8)
        try """
            # The application's settings, as its own service reads them.
            GREETING=hello from the app
            DATABASE_URL=postgres://app:pa55-w0rd-xyz@db.internal:5432/app
            export STRIPE_API_KEY="sk_live_0123456789"

            """.write(toFile: appDirectory.file("app.env"), atomically: true, encoding: .utf8)
    }

    /// A push webhook for `commits` (id, message, added paths) after `before`.
    static func push(before: String, commits: [(id: String, message: String, added: [String])]) throws -> Data {
        try JSONSerialization.data(withJSONObject: [
            "ref": "refs/heads/main", "before": before, "after": commits.last!.id, "created": false, "deleted": false,
            "forced": false,
            "commits": commits.map {
                [
                    "id": $0.id, "message": $0.message, "author": ["name": "Alice", "username": "alice"], "added": $0.added,
                    "removed": [String](), "modified": [String](),
                ] as [String: Any]
            },
            "head_commit": ["id": commits.last!.id, "message": commits.last!.message, "author": ["name": "Alice"]],
            "repository": ["full_name": "acme/app", "default_branch": "main"],
            "pusher": ["name": "alice"], "sender": ["login": "alice"],
        ])
    }
}
