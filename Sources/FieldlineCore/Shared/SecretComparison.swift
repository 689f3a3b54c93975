import Foundation

/// Compares secrets (tokens, signatures) in time that depends on their length only, so a caller
/// cannot learn a secret a byte at a time from how fast a wrong guess is refused.
public enum SecretComparison {
    public static func equal(_ lhs: String, _ rhs: String) -> Bool {
        equal(Data(lhs.utf8), Data(rhs.utf8))
    }

    public static func equal(_ lhs: Data, _ rhs: Data) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs, rhs) { difference |= left ^ right }
        return difference == 0
    }
}
