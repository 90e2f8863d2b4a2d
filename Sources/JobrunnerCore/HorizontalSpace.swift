extension StringProtocol {
    /// The text without leading and trailing horizontal space (`Unicode.Scalar.isHorizontalSpace`):
    /// what `trimmingCharacters(in: .whitespaces)` removes, without the trip through NSString
    /// that made it one of the larger costs of a webhook delivery.
    public func trimmingHorizontalSpace() -> Substring {
        let scalars = Substring(self).unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.isHorizontalSpace }) else { return Substring() }
        let last = scalars.lastIndex(where: { !$0.isHorizontalSpace })!
        return Substring(scalars[first...last])
    }
}

extension Unicode.Scalar {
    /// The members of `CharacterSet.whitespaces`: a tab, a space separator (category Zs), and
    /// the zero-width space (Zs in old Unicode, which Foundation's set still follows).
    public var isHorizontalSpace: Bool {
        self == "\t" || self == " " || value >= 0x80 && (value == 0x200B || properties.generalCategory == .spaceSeparator)
    }
}
