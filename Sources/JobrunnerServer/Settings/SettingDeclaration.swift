import Configuration
import Foundation
import JobrunnerCore

/// One setting, declared once: its name, what it means, its default, whether it is secret, and
/// how its value is read into `Settings`. The loader, `jobrunner settings`, the README's table
/// (checked by a test) and the values masked in script output all come from `SettingsTable`.
public struct SettingDeclaration: Sendable {
    public let setting: Setting
    /// What it does, in one line.
    public let meaning: String
    /// The default as people read it; nil when unset means "off" or "none".
    public let defaultText: String?
    /// Never printed or logged; its value is masked in everything stored or committed.
    public let isSecret: Bool
    /// Reads the value, when it is set, into `settings`; returns what is wrong with it.
    let read: @Sendable (SettingInput, inout Settings) -> String?
    /// The configured values of a secret setting.
    let secretValues: @Sendable (Settings) -> [String]

    init(
        _ setting: Setting, _ meaning: String, default defaultText: String?, secret: Bool = false,
        secretValues: @escaping @Sendable (Settings) -> [String] = { _ in [] },
        read: @escaping @Sendable (SettingInput, inout Settings) -> String?
    ) {
        self.setting = setting
        self.meaning = meaning
        self.defaultText = defaultText
        self.isSecret = secret
        self.read = read
        self.secretValues = secretValues
    }

    /// `meaning (default: …)`, as `jobrunner settings` prints it.
    public var summary: String { meaning + (defaultText.map { " (default: \($0))" } ?? "") }
}

/// One setting's value as the configuration holds it, through swift-configuration's typed readers.
struct SettingInput {
    let reader: ConfigReader
    let setting: Setting
    let isSecret: Bool

    private var key: ConfigKey { ConfigKey(setting.configKey) }

    /// The text, trimmed; nil when unset or blank (a blank line in a config file is "unset").
    var text: String? {
        let value = reader.string(forKey: key, isSecret: isSecret)?.trimmingCharacters(in: .whitespaces)
        return value?.isEmpty == false ? value : nil
    }

    /// The value as `Value`; nil when it does not convert.
    func value<Value: ExpressibleByConfigString>(_ type: Value.Type) -> Value? {
        reader.string(forKey: key, as: type, isSecret: isSecret)
    }

    var integer: Int? { reader.int(forKey: key, isSecret: isSecret) }

    var boolean: Bool? { reader.bool(forKey: key, isSecret: isSecret) }

    /// Comma-separated items, trimmed, blanks dropped.
    var list: [String] { (reader.stringArray(forKey: key, isSecret: isSecret) ?? []).filter { !$0.isEmpty } }
}

// MARK: - Declarations of the common kinds

extension SettingDeclaration {
    /// Free text; `check` returns what is wrong with a value.
    static func text(
        _ setting: Setting, _ keyPath: any WritableKeyPath<Settings, String> & Sendable, _ meaning: String,
        check: @escaping @Sendable (String) -> String? = { _ in nil }, normalize: @escaping @Sendable (String) -> String = { $0 }
    ) -> SettingDeclaration {
        SettingDeclaration(setting, meaning, default: Settings()[keyPath: keyPath]) { input, settings in
            guard let text = input.text else { return nil }
            if let problem = check(text) { return problem }
            settings[keyPath: keyPath] = normalize(text)
            return nil
        }
    }

    /// Optional text: unset means none.
    static func optionalText(
        _ setting: Setting, _ keyPath: any WritableKeyPath<Settings, String?> & Sendable, _ meaning: String, default defaultText: String? = nil,
        secret: Bool = false, check: @escaping @Sendable (String) -> String? = { _ in nil },
        normalize: @escaping @Sendable (String) -> String = { $0 }
    ) -> SettingDeclaration {
        SettingDeclaration(
            setting, meaning, default: defaultText, secret: secret,
            secretValues: { settings in secret ? [settings[keyPath: keyPath]].compactMap { $0 } : [] }
        ) { input, settings in
            guard let text = input.text else { return nil }
            if let problem = check(text) { return problem }
            settings[keyPath: keyPath] = normalize(text)
            return nil
        }
    }

    static func integer(
        _ setting: Setting, _ keyPath: any WritableKeyPath<Settings, Int> & Sendable, in range: ClosedRange<Int>, _ meaning: String
    ) -> SettingDeclaration {
        SettingDeclaration(setting, meaning, default: String(Settings()[keyPath: keyPath])) { input, settings in
            guard let text = input.text else { return nil }
            guard let value = input.integer, range.contains(value) else {
                return "'\(text)' is not a whole number in \(range.lowerBound)…\(range.upperBound)"
            }
            settings[keyPath: keyPath] = value
            return nil
        }
    }

    static func boolean(_ setting: Setting, _ keyPath: any WritableKeyPath<Settings, Bool> & Sendable, _ meaning: String) -> SettingDeclaration {
        SettingDeclaration(setting, meaning, default: String(Settings()[keyPath: keyPath])) { input, settings in
            guard let text = input.text else { return nil }
            guard let value = input.boolean else { return "'\(text)' is not true or false" }
            settings[keyPath: keyPath] = value
            return nil
        }
    }

    /// A duration such as `90s`, `10m`, `1h`, at least `minimum`.
    static func duration(
        _ setting: Setting, _ keyPath: any WritableKeyPath<Settings, Duration> & Sendable, _ meaning: String,
        minimum: (Duration, String)? = nil
    ) -> SettingDeclaration {
        SettingDeclaration(setting, meaning, default: DurationParser.format(Settings()[keyPath: keyPath])) { input, settings in
            guard let text = input.text else { return nil }
            guard let value = input.value(DurationSetting.self)?.duration, value > .zero else {
                return "'\(text)' is not a duration (examples: 90s, 10m, 1h)"
            }
            if let (least, why) = minimum, value < least { return why }
            settings[keyPath: keyPath] = value
            return nil
        }
    }

    /// One of a fixed set of names (an enum's raw values), case-insensitive.
    static func choice<Value: RawRepresentable<String> & CaseIterable & Sendable>(
        _ setting: Setting, _ keyPath: any WritableKeyPath<Settings, Value> & Sendable, _ meaning: String
    ) -> SettingDeclaration {
        let names = Value.allCases.map(\.rawValue)
        return SettingDeclaration(
            setting, meaning + " — one of " + names.joined(separator: ", "), default: Settings()[keyPath: keyPath].rawValue
        ) { input, settings in
            guard let text = input.text else { return nil }
            guard let value = input.value(CaseInsensitiveName<Value>.self)?.value else {
                return "'\(text)' is not one of \(names.joined(separator: ", "))"
            }
            settings[keyPath: keyPath] = value
            return nil
        }
    }

    /// Names of environment variables, comma-separated.
    static func variableNames(_ setting: Setting, _ keyPath: any WritableKeyPath<Settings, [String]> & Sendable, _ meaning: String) -> SettingDeclaration {
        SettingDeclaration(setting, meaning, default: nil) { input, settings in
            let names = input.list
            if let bad = names.first(where: { !$0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } }) {
                return "'\(bad)' is not an environment variable name"
            }
            settings[keyPath: keyPath] = names
            return nil
        }
    }
}

// MARK: - Value types read through swift-configuration

/// A duration as settings spell it: `90s`, `10m`, `1h30m`, `2d`.
struct DurationSetting: ExpressibleByConfigString {
    var duration: Duration
    init?(configString: String) {
        guard let parsed = DurationParser.parse(configString) else { return nil }
        duration = parsed
    }
    var description: String { DurationParser.format(duration) }
}

/// A size as settings spell it: `5MiB`, `512KiB`, `1048576`.
struct ByteSizeSetting: ExpressibleByConfigString {
    var bytes: Int
    init?(configString: String) {
        guard let parsed = ByteSizeParser.parse(configString) else { return nil }
        bytes = parsed
    }
    var description: String { String(bytes) }
}

/// An enum's raw value, whatever its case (`DEBUG` is `debug`).
struct CaseInsensitiveName<Value: RawRepresentable<String>>: ExpressibleByConfigString {
    var value: Value
    init?(configString: String) {
        guard let parsed = Value(rawValue: configString.trimmingCharacters(in: .whitespaces).lowercased()) else { return nil }
        value = parsed
    }
    var description: String { value.rawValue }
}
