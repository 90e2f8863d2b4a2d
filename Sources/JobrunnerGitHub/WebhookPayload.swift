import Foundation
import JobrunnerCore

/// Why a signed webhook body could not be read; the message names the problem.
public struct WebhookPayloadError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Reading a webhook body in either content type GitHub offers.
public enum WebhookPayload {
    /// The JSON document of a body: the body itself for `application/json`, the `payload` field
    /// for `application/x-www-form-urlencoded`.
    public static func json(body: Data, contentType: String?) throws -> Data {
        let mediaType = (contentType ?? "application/json").split(separator: ";").first
            .map { $0.trimmingHorizontalSpace().lowercased() } ?? ""
        switch mediaType {
        case "application/json", "":
            return body
        case "application/x-www-form-urlencoded":
            guard let text = String(data: body, encoding: .utf8) else {
                throw WebhookPayloadError("form body is not UTF-8")
            }
            for pair in text.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0] == "payload" else { continue }
                guard let value = parts[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
                    throw WebhookPayloadError("form field payload is not valid percent-encoding")
                }
                return Data(value.utf8)
            }
            throw WebhookPayloadError("form body has no payload field")
        default:
            throw WebhookPayloadError("unsupported content type \(mediaType); configure the webhook with application/json")
        }
    }

    /// Decodes `type`, turning decoding errors into a message that names the field.
    public static func decode<T: Decodable>(_ type: T.Type, from json: Data) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: json)
        } catch let DecodingError.keyNotFound(key, context) {
            throw WebhookPayloadError("missing field \(path(context.codingPath + [key]))")
        } catch let DecodingError.typeMismatch(_, context) {
            throw WebhookPayloadError("field \(path(context.codingPath)) has the wrong type")
        } catch let DecodingError.valueNotFound(_, context) {
            throw WebhookPayloadError("field \(path(context.codingPath)) is null")
        } catch DecodingError.dataCorrupted(let context) {
            throw WebhookPayloadError(
                context.codingPath.isEmpty ? "body is not valid JSON" : "field \(path(context.codingPath)) is invalid")
        }
    }

    /// A coding path as a reader writes it: `commits[0].id`.
    public static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text
    }
}
