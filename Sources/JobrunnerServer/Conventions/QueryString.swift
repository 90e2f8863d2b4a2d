import Foundation

/// A URL's query as HTML forms send it (`application/x-www-form-urlencoded`): `+` is a space,
/// `%XX` a byte. Hummingbird's own parameters keep `+`, so the dashboard's search form would
/// look for `space+name`.
enum QueryString {
    /// Each name's first value.
    static func parameters(_ query: String?) -> [String: String] {
        var parameters: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(parts[0])
            guard !name.isEmpty, parameters[name] == nil else { continue }
            parameters[name] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return parameters
    }

    static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
