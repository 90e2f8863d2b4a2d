import HTTPTypes

extension HTTPFields {
    /// The field's value, as `self[name]` gives it (several fields of the name joined with
    /// ", "), without its generic joining for the usual single field: intake reads eight
    /// headers per delivery, and the joining code instantiated generic metadata each time.
    func value(_ name: HTTPField.Name) -> String? {
        var found: String?
        for field in self where field.name == name {
            if found != nil { return self[name] }
            found = field.value
        }
        return found
    }
}
