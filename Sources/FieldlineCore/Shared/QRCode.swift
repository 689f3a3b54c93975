/// A QR code (ISO/IEC 18004) for a short text: byte mode, error correction level M, versions 1
/// to 10 (up to 213 bytes): enough for an `sms:` opt-in link (SC5), drawn as SVG.
public struct QRCode: Sendable, Equatable {
    public let version: Int
    public let size: Int
    /// Row-major: `modules[y * size + x]` is true for a dark module.
    public let modules: [Bool]

    public func isDark(x: Int, y: Int) -> Bool { modules[y * size + x] }

    /// Level M per version 1...10: error-correction codewords per block and number of blocks.
    static let eccPerBlock = [0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26]
    static let blockCount = [0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5]

    public static func encode(_ text: String) throws(FieldlineError) -> QRCode {
        let bytes = Array(text.utf8)
        guard
            let version = (1...10).first(where: { version in
                let countBits = version <= 9 ? 8 : 16
                return 4 + countBits + bytes.count * 8 <= dataCodewords(version) * 8
            })
        else {
            throw .invalid(field: "text", message: "Too long for a QR code here (at most 213 bytes).")
        }
        // Segment: mode 0100, the length, the bytes; then terminator, byte alignment, pad bytes.
        var bits = BitBuffer()
        bits.append(0b0100, count: 4)
        bits.append(bytes.count, count: version <= 9 ? 8 : 16)
        for byte in bytes { bits.append(Int(byte), count: 8) }
        let capacity = dataCodewords(version) * 8
        bits.append(0, count: min(4, capacity - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var data = bits.bytes
        var pad: UInt8 = 0xEC
        while data.count < dataCodewords(version) {
            data.append(pad)
            pad ^= 0xEC ^ 0x11
        }
        var matrix = Matrix(version: version)
        matrix.drawFunctionPatterns()
        matrix.drawCodewords(interleaved(data, version: version))
        var best: Matrix?
        var bestPenalty = Int.max
        for mask in 0..<8 {
            var candidate = matrix
            candidate.apply(mask: mask)
            candidate.drawFormatBits(mask: mask)
            let penalty = candidate.penalty()
            if penalty < bestPenalty {
                bestPenalty = penalty
                best = candidate
            }
        }
        let chosen = best ?? matrix
        return QRCode(version: version, size: chosen.size, modules: chosen.modules)
    }

    /// The code as an SVG image with the four-module quiet zone the standard asks for.
    public func svg(moduleSize: Int = 8, dark: String = "#12161b") -> String {
        let total = size + 8
        var path = ""
        for y in 0..<size {
            for x in 0..<size where isDark(x: x, y: y) { path += "M\(x + 4),\(y + 4)h1v1h-1z" }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(total) \(total)" width="\(total * moduleSize)" \
            height="\(total * moduleSize)" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/>\
            <path d="\(path)" fill="\(dark)"/></svg>
            """
    }

    // MARK: Capacity and error correction

    static func rawDataModules(_ version: Int) -> Int {
        var result = (16 * version + 128) * version + 64
        if version >= 2 {
            let alignments = version / 7 + 2
            result -= (25 * alignments - 10) * alignments - 55
            if version >= 7 { result -= 36 }
        }
        return result
    }

    static func dataCodewords(_ version: Int) -> Int {
        rawDataModules(version) / 8 - eccPerBlock[version] * blockCount[version]
    }

    /// Splits the data into blocks, adds each block's Reed-Solomon codewords, and interleaves.
    static func interleaved(_ data: [UInt8], version: Int) -> [UInt8] {
        let blocks = blockCount[version]
        let eccLength = eccPerBlock[version]
        let rawCodewords = rawDataModules(version) / 8
        let shortBlocks = blocks - rawCodewords % blocks
        let shortLength = rawCodewords / blocks
        let divisor = reedSolomonDivisor(degree: eccLength)
        var dataBlocks: [[UInt8]] = []
        var eccBlocks: [[UInt8]] = []
        var offset = 0
        for index in 0..<blocks {
            let length = shortLength - eccLength + (index < shortBlocks ? 0 : 1)
            let block = Array(data[offset..<offset + length])
            offset += length
            dataBlocks.append(block)
            eccBlocks.append(reedSolomonRemainder(block, divisor: divisor))
        }
        var result: [UInt8] = []
        for column in 0...(shortLength - eccLength) {
            for block in dataBlocks where column < block.count { result.append(block[column]) }
        }
        for column in 0..<eccLength {
            for block in eccBlocks { result.append(block[column]) }
        }
        return result
    }

    static func reedSolomonDivisor(degree: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for index in 0..<degree {
                result[index] = multiply(result[index], root)
                if index + 1 < degree { result[index] ^= result[index + 1] }
            }
            root = multiply(root, 0x02)
        }
        return result
    }

    static func reedSolomonRemainder(_ data: [UInt8], divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for byte in data {
            let factor = byte ^ result.removeFirst()
            result.append(0)
            for index in 0..<divisor.count { result[index] ^= multiply(divisor[index], factor) }
        }
        return result
    }

    /// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1.
    static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var z = 0
        for bit in stride(from: 7, through: 0, by: -1) {
            z = (z << 1) ^ ((z >> 7) * 0x11D)
            z ^= ((Int(y) >> bit) & 1) * Int(x)
        }
        return UInt8(z & 0xFF)
    }

    struct BitBuffer {
        var bits: [Bool] = []
        var count: Int { bits.count }

        mutating func append(_ value: Int, count: Int) {
            guard count > 0 else { return }
            for shift in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> shift) & 1 == 1) }
        }

        var bytes: [UInt8] {
            stride(from: 0, to: bits.count, by: 8).map { start in
                (0..<8).reduce(UInt8(0)) { byte, offset in
                    byte << 1 | (start + offset < bits.count && bits[start + offset] ? 1 : 0)
                }
            }
        }
    }

    // MARK: The matrix

    struct Matrix {
        let version: Int
        let size: Int
        var modules: [Bool]
        var isFunction: [Bool]

        init(version: Int) {
            self.version = version
            size = version * 4 + 17
            modules = Array(repeating: false, count: size * size)
            isFunction = Array(repeating: false, count: size * size)
        }

        mutating func set(_ x: Int, _ y: Int, _ dark: Bool) {
            modules[y * size + x] = dark
            isFunction[y * size + x] = true
        }

        mutating func drawFunctionPatterns() {
            for index in 0..<size {
                set(6, index, index % 2 == 0)
                set(index, 6, index % 2 == 0)
            }
            drawFinder(3, 3)
            drawFinder(size - 4, 3)
            drawFinder(3, size - 4)
            let positions = alignmentPositions()
            let last = positions.count - 1
            for (i, x) in positions.enumerated() {
                for (j, y) in positions.enumerated() {
                    if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) { continue }
                    for dy in -2...2 {
                        for dx in -2...2 { set(x + dx, y + dy, max(abs(dx), abs(dy)) != 1) }
                    }
                }
            }
            drawFormatBits(mask: 0)  // Reserves the area; the real bits come with the mask.
            if version >= 7 {
                var remainder = version
                for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
                let bits = version << 12 | remainder
                for index in 0..<18 {
                    let dark = (bits >> index) & 1 == 1
                    let a = size - 11 + index % 3
                    let b = index / 3
                    set(a, b, dark)
                    set(b, a, dark)
                }
            }
        }

        mutating func drawFinder(_ centerX: Int, _ centerY: Int) {
            for dy in -4...4 {
                for dx in -4...4 {
                    let x = centerX + dx
                    let y = centerY + dy
                    guard (0..<size).contains(x), (0..<size).contains(y) else { continue }
                    let distance = max(abs(dx), abs(dy))
                    set(x, y, distance != 2 && distance != 4)
                }
            }
        }

        func alignmentPositions() -> [Int] {
            guard version > 1 else { return [] }
            let count = version / 7 + 2
            let step = (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2
            var result = [6]
            var position = size - 7
            var tail: [Int] = []
            for _ in 1..<count {
                tail.insert(position, at: 0)
                position -= step
            }
            result += tail
            return result
        }

        /// Level M (format bits 00) and the mask, BCH-protected and XORed with 101010000010010.
        mutating func drawFormatBits(mask: Int) {
            let data = 0 << 3 | mask
            var remainder = data
            for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
            let bits = (data << 10 | remainder) ^ 0x5412
            func bit(_ index: Int) -> Bool { (bits >> index) & 1 == 1 }
            for index in 0...5 { set(8, index, bit(index)) }
            set(8, 7, bit(6))
            set(8, 8, bit(7))
            set(7, 8, bit(8))
            for index in 9..<15 { set(14 - index, 8, bit(index)) }
            for index in 0..<8 { set(size - 1 - index, 8, bit(index)) }
            for index in 8..<15 { set(8, size - 15 + index, bit(index)) }
            set(8, size - 8, true)
        }

        mutating func drawCodewords(_ data: [UInt8]) {
            var bitIndex = 0
            var right = size - 1
            while right >= 1 {
                if right == 6 { right = 5 }
                for vertical in 0..<size {
                    for column in 0..<2 {
                        let x = right - column
                        let upward = (right + 1) & 2 == 0
                        let y = upward ? size - 1 - vertical : vertical
                        guard !isFunction[y * size + x], bitIndex < data.count * 8 else { continue }
                        modules[y * size + x] = (data[bitIndex >> 3] >> (7 - (bitIndex & 7))) & 1 == 1
                        bitIndex += 1
                    }
                }
                right -= 2
            }
        }

        mutating func apply(mask: Int) {
            for y in 0..<size {
                for x in 0..<size where !isFunction[y * size + x] {
                    let invert: Bool =
                        switch mask {
                        case 0: (x + y) % 2 == 0
                        case 1: y % 2 == 0
                        case 2: x % 3 == 0
                        case 3: (x + y) % 3 == 0
                        case 4: (x / 3 + y / 2) % 2 == 0
                        case 5: x * y % 2 + x * y % 3 == 0
                        case 6: (x * y % 2 + x * y % 3) % 2 == 0
                        default: ((x + y) % 2 + x * y % 3) % 2 == 0
                        }
                    if invert { modules[y * size + x].toggle() }
                }
            }
        }

        /// The standard's four penalty rules, to pick the mask that reads most easily.
        func penalty() -> Int {
            var total = 0
            func dark(_ x: Int, _ y: Int) -> Bool { modules[y * size + x] }
            for horizontal in [true, false] {
                for line in 0..<size {
                    var runColor = false
                    var run = 0
                    var pattern: [Bool] = []
                    for position in 0..<size {
                        let color = horizontal ? dark(position, line) : dark(line, position)
                        if position > 0, color == runColor {
                            run += 1
                            if run == 5 { total += 3 } else if run > 5 { total += 1 }
                        } else {
                            runColor = color
                            run = 1
                        }
                        pattern.append(color)
                    }
                    // Rule 3: dark-light-dark-dark-dark-light-dark with four light modules on a side.
                    let finder: [Bool] = [true, false, true, true, true, false, true]
                    let light4: [Bool] = [false, false, false, false]
                    if pattern.count >= 11 {
                        for start in 0...(pattern.count - 11) {
                            let window = Array(pattern[start..<start + 11])
                            if window == finder + light4 || window == light4 + finder { total += 40 }
                        }
                    }
                }
            }
            for y in 0..<(size - 1) {
                for x in 0..<(size - 1) {
                    let color = dark(x, y)
                    if color == dark(x + 1, y), color == dark(x, y + 1), color == dark(x + 1, y + 1) { total += 3 }
                }
            }
            let darkCount = modules.filter { $0 }.count
            let cells = size * size
            let deviation = abs(darkCount * 20 - cells * 10)
            total += ((deviation + cells - 1) / cells - 1) * 10
            return total
        }
    }
}
