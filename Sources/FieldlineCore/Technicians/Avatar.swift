/// Generated technician portraits: initials on a colour picked from the id, so every technician
/// has a recognisable face before anyone uploads a photo.
public enum Avatar {
    public static func path(for id: TechnicianID) -> String {
        "/avatars/technicians/\(id.rawValue).svg"
    }

    static let palettes: [(background: String, accent: String)] = [
        ("#0f766e", "#5eead4"), ("#1d4ed8", "#93c5fd"), ("#7c3aed", "#c4b5fd"), ("#b45309", "#fcd34d"),
        ("#be123c", "#fda4af"), ("#15803d", "#86efac"), ("#0e7490", "#67e8f9"), ("#4338ca", "#a5b4fc"),
    ]

    public static func svg(initials: String, seed: String) -> String {
        // FNV-1a: stable across runs and platforms, unlike Hasher.
        var hash: UInt32 = 2_166_136_261
        for byte in seed.utf8 {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        let palette = palettes[Int(hash % UInt32(palettes.count))]
        let text = String(initials.filter { $0.isLetter || $0.isNumber }.prefix(2)).uppercased()
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">\
            <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">\
            <stop offset="0" stop-color="\(palette.background)"/><stop offset="1" stop-color="\(palette.accent)"/>\
            </linearGradient></defs><rect width="128" height="128" rx="64" fill="url(#g)"/>\
            <text x="64" y="64" dy="0.35em" text-anchor="middle" font-family="system-ui, -apple-system, Segoe UI, sans-serif" \
            font-size="52" font-weight="600" fill="#ffffff">\(text.isEmpty ? "?" : text)</text></svg>
            """
    }
}
