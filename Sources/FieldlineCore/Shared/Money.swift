import Foundation

/// Amounts as people read them: "$1,250.00", "1,250.00".
public enum Money {
    /// Two decimals with thousands separators, in US form: "1,250.00" (by hand: a formatter per
    /// call is slow on Linux, and a page of work orders formats fifty).
    public static func decimal(_ amount: Double) -> String {
        let cents = Int((abs(amount) * 100).rounded())
        var whole = String(cents / 100)
        var grouped = ""
        while whole.count > 3 {
            grouped = "," + whole.suffix(3) + grouped
            whole = String(whole.dropLast(3))
        }
        let fraction = cents % 100
        return (amount < 0 && cents > 0 ? "-" : "") + whole + grouped + "." + (fraction < 10 ? "0" : "")
            + String(fraction)
    }

    public static func dollars(cents: Int) -> String {
        "$" + decimal(Double(cents) / 100)
    }
}
