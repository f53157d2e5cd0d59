/// Whether two byte strings are equal, in time that depends only on their lengths (for secrets:
/// tokens and signatures).
public func constantTimeEqual(_ one: [UInt8], _ other: [UInt8]) -> Bool {
    var difference = UInt8(one.count == other.count ? 0 : 1)
    for index in 0..<max(one.count, other.count) {
        difference |= (index < one.count ? one[index] : 0) ^ (index < other.count ? other[index] : 0)
    }
    return difference == 0
}
