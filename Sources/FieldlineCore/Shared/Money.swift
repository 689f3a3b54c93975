import Foundation

/// Amounts as people read them: "$1,250.00", "1,250.00".
public enum Money {
    /// Two decimals with thousands separators, in US form (the product's documents are in English).
    public static func decimal(_ amount: Double) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.minimumFractionDigits = 2
        formatter.maximumFractionDigits = 2
        formatter.locale = Locale(identifier: "en_US")
        return formatter.string(from: NSNumber(value: amount)) ?? String(format: "%.2f", amount)
    }

    public static func dollars(cents: Int) -> String {
        "$" + decimal(Double(cents) / 100)
    }
}

/// How long a retried delivery waits: doubling from `first` after each failed attempt, up to `cap`.
public enum Backoff {
    public static func delay(afterAttempts attempts: Int, first: TimeInterval, cap: TimeInterval) -> TimeInterval {
        min(cap, first * pow(2, Double(max(attempts - 1, 0))))
    }
}
