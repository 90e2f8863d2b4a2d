import HTTPTypes
@testable import JobrunnerServer
import Testing

@Suite("Reading a request header")
struct HTTPFieldsValueTests {
    static let delivery = HTTPField.Name("X-GitHub-Delivery")!

    @Test
    func aHeaderReadsAsTheSubscriptReadsItOnceOrRepeatedOrAbsent() {
        var fields = HTTPFields()
        #expect(fields.value(Self.delivery) == nil)
        fields.append(HTTPField(name: HTTPField.Name("x-github-delivery")!, value: "d-1"))
        fields[.contentType] = "application/json"
        #expect(fields.value(Self.delivery) == "d-1", "names compare without case")
        #expect(fields.value(.contentType) == "application/json")
        // Repeated: joined, exactly as the subscript gives it (a repeated signature stays one
        // value that verifies against nothing).
        fields.append(HTTPField(name: Self.delivery, value: "d-2"))
        #expect(fields.value(Self.delivery) == fields[Self.delivery])
        #expect(fields.value(Self.delivery) == "d-1, d-2")
    }
}
