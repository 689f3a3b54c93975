import Foundation

/// An IP address, and whether the server may connect to it on a tenant's or a webhook's say-so.
///
/// Fieldline fetches what inbound webhooks point at (a customer's picture): an attacker who runs a
/// tenant can point them anywhere. Only public unicast addresses are fair game; loopback, private,
/// link-local (cloud metadata lives at 169.254.169.254), multicast, reserved and documentation
/// ranges are not, however the address is written.
public enum NetworkAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    /// Sixteen bytes, network order.
    case v6([UInt8])

    public init(v4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self = .v4(UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d))
    }

    public var description: String {
        switch self {
        case .v4(let value):
            return [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xFF) }.joined(separator: ".")
        case .v6(let bytes):
            return stride(from: 0, to: 16, by: 2).map {
                String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16)
            }
            .joined(separator: ":")
        }
    }

    // MARK: Reading a URL's host

    /// The address a URL host names when it is an IP literal, read the way browsers and
    /// `inet_aton` read it — so `2130706433`, `0177.0.0.1`, `0x7f.1` and `127.1` are all
    /// 127.0.0.1, and `[::ffff:127.0.0.1]` too. Nil for a host name.
    public static func literal(_ rawHost: String) -> NetworkAddress? {
        var host = rawHost.lowercased()
        if host.hasSuffix(".") { host.removeLast() }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            return v6Literal(String(host.dropFirst().dropLast()))
        }
        if host.contains(":") { return v6Literal(host) }
        return v4Literal(host)
    }

    /// IPv4 in 1 to 4 dot-separated parts, each decimal, octal (leading 0) or hexadecimal (0x);
    /// the last part fills the remaining bytes.
    static func v4Literal(_ host: String) -> NetworkAddress? {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var numbers: [UInt64] = []
        for part in parts {
            guard let number = number(part) else { return nil }
            numbers.append(number)
        }
        let last = numbers.removeLast()
        guard numbers.allSatisfy({ $0 <= 0xFF }) else { return nil }
        let lastBits = UInt64(8 * (4 - numbers.count))
        guard last < (1 << lastBits) else { return nil }
        var value: UInt64 = 0
        for (index, number) in numbers.enumerated() { value |= number << UInt64(24 - 8 * index) }
        return .v4(UInt32(value | last))
    }

    private static func number(_ part: Substring) -> UInt64? {
        guard !part.isEmpty, part.count <= 32 else { return nil }
        if part.hasPrefix("0x") {
            let digits = part.dropFirst(2)
            return digits.isEmpty ? 0 : UInt64(digits, radix: 16)
        }
        if part.count > 1, part.hasPrefix("0") { return UInt64(part.dropFirst(), radix: 8) }
        return UInt64(part, radix: 10)
    }

    /// IPv6 text (RFC 4291), with `::` and a trailing dotted IPv4. A zone (`%eth0`) is refused:
    /// it only ever names a link-local address.
    static func v6Literal(_ text: String) -> NetworkAddress? {
        guard !text.contains("%"), text.count <= 45 else { return nil }
        var bytes: [UInt8] = []
        var tail = text
        var embedded: [UInt8] = []
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            let dotted = String(text[text.index(after: lastColon)...])
            let dottedParts = dotted.split(separator: ".", omittingEmptySubsequences: false)
            guard dottedParts.count == 4 else { return nil }
            for part in dottedParts {
                guard let byte = UInt8(part), part.count <= 3, part == String(byte) || part == "0" else { return nil }
                embedded.append(byte)
            }
            tail = String(text[...lastColon])
            if tail.hasSuffix(":") && !tail.hasSuffix("::") { tail.removeLast() }
        }
        let halves = tail.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), let value = UInt16(group, radix: 16) else { return nil }
                result.append(value)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        let rest = halves.count == 2 ? groups(halves[1]) : []
        guard let rest else { return nil }
        let wanted = embedded.isEmpty ? 8 : 6
        let present = head.count + rest.count
        if halves.count == 2 {
            guard present < wanted else { return nil }
        } else {
            guard present == wanted else { return nil }
        }
        let all = head + Array(repeating: 0, count: wanted - present) + rest
        for group in all { bytes += [UInt8(group >> 8), UInt8(group & 0xFF)] }
        bytes += embedded
        return bytes.count == 16 ? .v6(bytes) : nil
    }

    // MARK: Who may be reached

    /// A public unicast address: not loopback, private, shared (CGNAT), link-local, multicast,
    /// reserved, benchmarking or documentation space. IPv6 forms that carry an IPv4 address
    /// (mapped, compatible, NAT64, 6to4) are judged by that address.
    public var isPublic: Bool {
        switch self {
        case .v4(let value): return Self.isPublicV4(value)
        case .v6(let bytes): return Self.isPublicV6(bytes)
        }
    }

    private static let blockedV4: [(UInt32, Int)] = [
        (0x0000_0000, 8),  // "this network"
        (0x0A00_0000, 8),  // private
        (0x6440_0000, 10),  // shared address space (carrier NAT)
        (0x7F00_0000, 8),  // loopback
        (0xA9FE_0000, 16),  // link-local, cloud metadata
        (0xAC10_0000, 12),  // private
        (0xC000_0000, 24),  // IETF protocol assignments
        (0xC000_0200, 24),  // TEST-NET-1
        (0xC058_6300, 24),  // 6to4 relay anycast
        (0xC0A8_0000, 16),  // private
        (0xC612_0000, 15),  // benchmarking
        (0xC633_6400, 24),  // TEST-NET-2
        (0xCB00_7100, 24),  // TEST-NET-3
        (0xE000_0000, 4),  // multicast
        (0xF000_0000, 4),  // reserved, and the broadcast address
    ]

    static func isPublicV4(_ value: UInt32) -> Bool {
        !blockedV4.contains { prefix, length in
            let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length)
            return value & mask == prefix
        }
    }

    static func isPublicV6(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == 16 else { return false }
        func v4(at offset: Int) -> UInt32 {
            bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        let first10Zero = bytes[0..<10].allSatisfy { $0 == 0 }
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible; :: and ::1 fall in here too).
        if first10Zero && bytes[10] == 0xFF && bytes[11] == 0xFF { return isPublicV4(v4(at: 12)) }
        if bytes[0..<12].allSatisfy({ $0 == 0 }) { return false }
        // 64:ff9b::/96 (NAT64) carries the IPv4 address in its last four bytes.
        if bytes[0..<12] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] { return isPublicV4(v4(at: 12)) }
        // 2002::/16 (6to4) carries it in bytes 2–5.
        if bytes[0] == 0x20 && bytes[1] == 0x02 { return isPublicV4(v4(at: 2)) }
        if bytes[0] & 0xFE == 0xFC { return false }  // unique local fc00::/7
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return false }  // link-local fe80::/10
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0xC0 { return false }  // site-local fec0::/10
        if bytes[0] == 0xFF { return false }  // multicast
        if bytes[0..<4] == [0x20, 0x01, 0x0D, 0xB8] { return false }  // documentation
        if bytes[0..<8] == [0x01, 0, 0, 0, 0, 0, 0, 0] { return false }  // discard-only 100::/64
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0 && bytes[3] == 0 { return false }  // Teredo
        // Only global unicast (2000::/3) is public today.
        return bytes[0] & 0xE0 == 0x20
    }
}
