import Foundation

/// The text encodings a customer import reads: what spreadsheets and CRMs actually export.
public enum CSVEncoding: String, Sendable, Codable, CaseIterable {
    case utf8
    case windows1252
}

/// Fed the raw bytes once while the file is uploaded: decides the encoding and refuses what is not text.
///
/// It holds a few bytes of state whatever the file's size: whether every byte sequence so far is valid
/// UTF-8 (a sequence split across two chunks is carried over), whether a byte no text file holds was
/// seen, and the first bytes, to say what the file looks like instead.
public struct CSVFileCheck: Sendable {
    public private(set) var byteCount = 0
    /// The first bytes, to recognise a zip (.xlsx), an image or UTF-16 text.
    private var head: [UInt8] = []
    private var validUTF8 = true
    /// Continuation bytes the current UTF-8 sequence still needs, and the range the next one must be in
    /// (narrower than 0x80...0xBF after E0, ED, F0 and F4: no overlong forms, surrogates or values
    /// above U+10FFFF).
    private var pending = 0
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF
    private var sawNUL = false
    private var sawControl = false
    /// The last byte was 0x1A (Ctrl-Z, the old DOS end-of-file mark): harmless only as the very last byte.
    private var endsWithSUB = false

    public init() {}

    public mutating func feed(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in self.scan(buffer) }
        if done == nil { [UInt8](bytes).withUnsafeBufferPointer { buffer in self.scan(buffer) } }
    }

    /// UTF-8 (with or without BOM) when every byte sequence is valid UTF-8, otherwise Windows-1252.
    public func finish() throws(FieldlineError) -> CSVEncoding {
        if byteCount == 0 || head == [0xEF, 0xBB, 0xBF] {
            throw .invalid(field: "file", message: "This file is empty.")
        }
        if head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF]) {
            throw .invalid(
                field: "file",
                message: "This file is saved as UTF-16 (\"Unicode text\"), which the import does not read. "
                    + "Save it as \"CSV UTF-8\" from your spreadsheet and upload that.")
        }
        if sawNUL || sawControl {
            let looksLike: String
            if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
                looksLike = "it looks like an Excel .xlsx workbook or another zip file"
            } else if head.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) {
                looksLike = "it looks like an old Excel .xls workbook"
            } else {
                looksLike = "it looks like a spreadsheet or an image"
            }
            throw .invalid(
                field: "file",
                message: "This file is not a CSV text file (\(looksLike)). "
                    + "Save it as CSV from your spreadsheet and upload that.")
        }
        return validUTF8 && pending == 0 ? .utf8 : .windows1252
    }

    private mutating func scan(_ buffer: UnsafeBufferPointer<UInt8>) {
        guard !buffer.isEmpty else { return }
        if head.count < 8 { head.append(contentsOf: buffer.prefix(8 - head.count)) }
        byteCount += buffer.count
        if endsWithSUB { sawControl = true }  // a 0x1A that turned out not to be the last byte
        endsWithSUB = false
        let last = buffer.count - 1
        for index in 0...last {
            let byte = buffer[index]
            if byte < 0x20 {
                if byte == 0 {
                    sawNUL = true
                } else if byte == 0x1A && index == last {
                    endsWithSUB = true
                } else if byte != 0x09 && byte != 0x0A && byte != 0x0D {
                    sawControl = true
                }
            }
            if validUTF8 && (byte >= 0x80 || pending > 0) { step(byte) }
        }
    }

    /// One byte of the UTF-8 check, for a byte that is not plain ASCII between sequences.
    private mutating func step(_ byte: UInt8) {
        if pending > 0 {
            guard byte >= lower && byte <= upper else {
                validUTF8 = false
                return
            }
            pending -= 1
            lower = 0x80
            upper = 0xBF
            return
        }
        switch byte {
        case 0xC2...0xDF: pending = 1
        case 0xE0: (pending, lower) = (2, 0xA0)
        case 0xE1...0xEC, 0xEE...0xEF: pending = 2
        case 0xED: (pending, upper) = (2, 0x9F)
        case 0xF0: (pending, lower) = (3, 0x90)
        case 0xF1...0xF3: pending = 3
        case 0xF4: (pending, upper) = (3, 0x8F)
        default: validUTF8 = false
        }
    }
}

/// The delimiter the header line uses: the one of `,` `;` `\t` that occurs most often outside quotes in the
/// first line (ties: comma first, then semicolon, then tab).
public enum CSVDelimiter: String, Sendable, Codable, CaseIterable {
    case comma = ","
    case semicolon = ";"
    case tab = "\t"

    /// Given the file's first bytes (up to ~64 KB; they may end mid-line). A header without any of the
    /// three is one column: comma.
    public static func detect(in firstBytes: some Collection<UInt8>) -> CSVDelimiter {
        var commas = 0
        var semicolons = 0
        var tabs = 0
        var quoted = false
        for byte in firstBytes {
            switch byte {
            case UInt8(ascii: "\""): quoted.toggle()  // a doubled quote toggles twice
            case UInt8(ascii: ","): if !quoted { commas += 1 }
            case UInt8(ascii: ";"): if !quoted { semicolons += 1 }
            case UInt8(ascii: "\t"): if !quoted { tabs += 1 }
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"): if !quoted { return pick(commas, semicolons, tabs) }
            default: break
            }
        }
        return pick(commas, semicolons, tabs)
    }

    private static func pick(_ commas: Int, _ semicolons: Int, _ tabs: Int) -> CSVDelimiter {
        if commas >= semicolons && commas >= tabs { return .comma }
        return semicolons >= tabs ? .semicolon : .tab
    }

    public var byte: UInt8 {
        switch self {
        case .comma: UInt8(ascii: ",")
        case .semicolon: UInt8(ascii: ";")
        case .tab: UInt8(ascii: "\t")
        }
    }

    public var label: String {
        switch self {
        case .comma: "comma"
        case .semicolon: "semicolon"
        case .tab: "tab"
        }
    }
}

public struct CSVRecord: Sendable, Equatable {
    /// The physical line (1-based) the record starts on; the header is line 1. A quoted field with newlines
    /// makes later records start on later lines.
    public var line: Int
    public var fields: [String]

    public init(line: Int, fields: [String]) {
        self.line = line
        self.fields = fields
    }
}

/// A streaming RFC 4180 reader, lenient where real exports are sloppy.
///
/// Fed the file chunk by chunk (boundaries anywhere: inside a UTF-8 sequence, between \r and \n), it
/// holds at most one record's bytes (bounded by `Limits.maxRecordBytes`) and one record's fields
/// (bounded by `Limits.maxColumns`), whatever the file's size.
///
/// - Records end at \n, \r\n or a lone \r outside quotes. A blank line is skipped but counted.
/// - A field that starts with `"` is quoted: `""` inside is one quote; delimiters and newlines are
///   kept (\r\n inside becomes \n; a lone \r stays).
/// - Leniency: a quote inside an unquoted field is literal (`5" pipe`); what follows a closing quote
///   before the delimiter is appended as it is (`"abc"def` → `abcdef`, `"abc" ` → `abc `).
/// - A leading UTF-8 BOM is skipped (under either encoding: as Windows-1252 it would only be `ï»¿`
///   glued to the first header). A 0x1A (Ctrl-Z) as the file's very last byte is dropped.
/// - A quote still open at the end of the file is refused rather than read as one huge field.
/// - Nothing is trimmed.
public struct CSVReader: Sendable {
    public struct Limits: Sendable {
        public var maxColumns: Int = 200
        public var maxRecordBytes: Int = 65_536

        public init(maxColumns: Int = 200, maxRecordBytes: Int = 65_536) {
            self.maxColumns = maxColumns
            self.maxRecordBytes = maxRecordBytes
        }
    }

    private enum State {
        /// At the start of a field: a quote here opens a quoted field.
        case fieldStart
        case unquoted
        case quoted
        /// A quote inside a quoted field: `""` (one quote) or the closing quote.
        case quoteInQuoted
        /// After a closing quote, before the delimiter: anything here is appended as it is.
        case afterQuoted
    }

    public let encoding: CSVEncoding
    public let delimiter: CSVDelimiter
    public let limits: Limits

    private var state = State.fieldStart
    /// The physical line the next byte is on.
    private var line = 1
    private var recordStarted = false
    private var recordLine = 1
    private var recordBytes = 0
    /// Fields ended in the current record (past `maxColumns` they are counted, no longer kept).
    private var columns = 0
    private var field: [UInt8] = []
    private var fields: [String] = []
    /// A \r ended a line outside quotes: a \n right after it belongs to the same line break.
    private var skipLF = false
    /// The last byte in a quoted field was \r: a \n after it turns the pair into \n.
    private var quotedCR = false
    /// Bytes of a UTF-8 BOM matched at the start of the file; nil once past it.
    private var bomMatched: Int? = 0
    /// The last chunk ended with 0x1A, held back: dropped if nothing follows.
    private var heldSUB = false

    private static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
    private static let quote = UInt8(ascii: "\"")
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let sub: UInt8 = 0x1A

    public init(encoding: CSVEncoding, delimiter: CSVDelimiter, limits: Limits = .init()) {
        self.encoding = encoding
        self.delimiter = delimiter
        self.limits = limits
        field.reserveCapacity(256)
        fields.reserveCapacity(32)
    }

    /// Feeds the next chunk; returns the records completed by it.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(FieldlineError) -> [CSVRecord] {
        var records: [CSVRecord] = []
        var failure: FieldlineError?
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            do throws(FieldlineError) { try self.consume(buffer, into: &records) } catch { failure = error }
        }
        if done == nil {
            [UInt8](bytes).withUnsafeBufferPointer { buffer in
                do throws(FieldlineError) { try self.consume(buffer, into: &records) } catch { failure = error }
            }
        }
        if let failure { throw failure }
        return records
    }

    /// The end of the file: returns the last record if the file does not end with a newline.
    public mutating func finish() throws(FieldlineError) -> [CSVRecord] {
        var records: [CSVRecord] = []
        heldSUB = false  // Ctrl-Z as the last byte: the end-of-file mark, not data
        if let matched = bomMatched, matched > 0 {
            // The file is shorter than a BOM and began like one: those bytes were text after all.
            bomMatched = nil
            try Self.bom[..<matched].withUnsafeBufferPointer { buffer throws(FieldlineError) in
                try scan(buffer, into: &records)
            }
        }
        bomMatched = nil
        if state == .quoted {
            throw .invalid(
                field: "file",
                message: "Line \(Self.number(recordLine)) has a quote that is never closed. "
                    + "A field that starts with \" must end with \".")
        }
        if recordStarted { try endRecord(into: &records) }
        return records
    }

    private mutating func consume(
        _ buffer: UnsafeBufferPointer<UInt8>, into records: inout [CSVRecord]
    ) throws(FieldlineError) {
        guard !buffer.isEmpty else { return }
        var bytes = buffer[...]
        if heldSUB {
            heldSUB = false
            try [Self.sub].withUnsafeBufferPointer { held throws(FieldlineError) in try scan(held, into: &records) }
        }
        if let matched = bomMatched {
            var bomBytes = matched
            while bomBytes < 3, let byte = bytes.first, byte == Self.bom[bomBytes] {
                bomBytes += 1
                bytes = bytes.dropFirst()
            }
            if bomBytes == 3 {
                bomMatched = nil
            } else if bytes.isEmpty {
                bomMatched = bomBytes
                return
            } else {
                // Began like a BOM but is not one: the bytes matched so far are text.
                bomMatched = nil
                try Self.bom[..<bomBytes].withUnsafeBufferPointer { buffer throws(FieldlineError) in
                    try scan(buffer, into: &records)
                }
            }
        }
        if bytes.last == Self.sub {
            heldSUB = true
            bytes = bytes.dropLast()
        }
        try scan(UnsafeBufferPointer(rebasing: bytes), into: &records)
    }

    private mutating func scan(
        _ buffer: UnsafeBufferPointer<UInt8>, into records: inout [CSVRecord]
    ) throws(FieldlineError) {
        let delimiter = self.delimiter.byte
        let quote = Self.quote
        let cr = Self.cr
        let lf = Self.lf
        let end = buffer.count
        var index = 0
        while index < end {
            let byte = buffer[index]
            if skipLF {
                skipLF = false
                if byte == lf {
                    index += 1
                    continue
                }
            }
            switch state {
            case .fieldStart, .unquoted, .afterQuoted:
                if byte == lf || byte == cr {
                    if recordStarted { try endRecord(into: &records) }  // else a blank line: skipped, counted
                    line += 1
                    skipLF = byte == cr
                    index += 1
                    continue
                }
                if !recordStarted {
                    recordStarted = true
                    recordLine = line
                }
                if byte == delimiter {
                    try tally(1)
                    try endField()
                    state = .fieldStart
                    index += 1
                } else if byte == quote && state == .fieldStart {
                    try tally(1)
                    state = .quoted
                    index += 1
                } else {
                    if state == .fieldStart { state = .unquoted }
                    let start = index
                    index += 1
                    while index < end {
                        let next = buffer[index]
                        if next == delimiter || next == cr || next == lf { break }
                        index += 1
                    }
                    try append(UnsafeBufferPointer(rebasing: buffer[start..<index]))
                }
            case .quoted:
                if byte == quote {
                    try tally(1)
                    quotedCR = false
                    state = .quoteInQuoted
                    index += 1
                } else if byte == cr {
                    try append(cr)
                    quotedCR = true
                    line += 1
                    index += 1
                } else if byte == lf {
                    if quotedCR {
                        try tally(1)
                        field[field.count - 1] = lf
                        quotedCR = false
                    } else {
                        try append(lf)
                        line += 1
                    }
                    index += 1
                } else {
                    quotedCR = false
                    let start = index
                    index += 1
                    while index < end {
                        let next = buffer[index]
                        if next == quote || next == cr || next == lf { break }
                        index += 1
                    }
                    try append(UnsafeBufferPointer(rebasing: buffer[start..<index]))
                }
            case .quoteInQuoted:
                if byte == quote {
                    try append(quote)
                    state = .quoted
                    index += 1
                } else {
                    state = .afterQuoted  // the byte is read again as outside quotes
                }
            }
        }
    }

    /// Counts bytes of the current record against `maxRecordBytes`, before they are kept.
    private mutating func tally(_ bytes: Int) throws(FieldlineError) {
        recordBytes += bytes
        guard recordBytes > limits.maxRecordBytes else { return }
        if columns >= limits.maxColumns { throw tooManyColumns(atLeast: true) }
        throw .invalid(
            field: "file",
            message: "Line \(Self.number(recordLine)) is longer than \(Self.size(limits.maxRecordBytes)). "
                + "A quote is probably left open on that line: a field that starts with \" must end with \".")
    }

    private mutating func append(_ byte: UInt8) throws(FieldlineError) {
        try tally(1)
        field.append(byte)
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) throws(FieldlineError) {
        try tally(bytes.count)
        field.append(contentsOf: bytes)
    }

    private mutating func endField() throws(FieldlineError) {
        columns += 1
        if columns <= limits.maxColumns {
            let text = Self.decode(field, as: encoding)
            fields.append(text)
        }
        field.removeAll(keepingCapacity: true)
    }

    private mutating func endRecord(into records: inout [CSVRecord]) throws(FieldlineError) {
        try endField()
        if columns > limits.maxColumns { throw tooManyColumns(atLeast: false) }
        records.append(CSVRecord(line: recordLine, fields: fields))
        fields.removeAll(keepingCapacity: true)
        columns = 0
        recordBytes = 0
        recordStarted = false
        quotedCR = false
        state = .fieldStart
    }

    private func tooManyColumns(atLeast: Bool) -> FieldlineError {
        .invalid(
            field: "file",
            message: "Line \(Self.number(recordLine)) has \(atLeast ? "more than " : "")\(Self.number(columns)) "
                + "columns; an import takes at most \(Self.number(limits.maxColumns)). Is the delimiter right?")
    }

    private static func decode(_ bytes: [UInt8], as encoding: CSVEncoding) -> String {
        switch encoding {
        case .utf8:
            return String(decoding: bytes, as: UTF8.self)
        case .windows1252:
            guard bytes.contains(where: { $0 >= 0x80 }) else { return String(decoding: bytes, as: UTF8.self) }
            // Each byte becomes at most three bytes of UTF-8 (the table's highest is U+2122).
            return String(unsafeUninitializedCapacity: bytes.count * 3) { utf8 in
                var written = 0
                for byte in bytes {
                    if byte < 0x80 {
                        utf8[written] = byte
                        written += 1
                        continue
                    }
                    let scalar = byte < 0xA0 ? UInt32(windows1252[Int(byte - 0x80)]) : UInt32(byte)
                    if scalar < 0x800 {
                        utf8[written] = UInt8(0xC0 | (scalar >> 6))
                        utf8[written + 1] = UInt8(0x80 | (scalar & 0x3F))
                        written += 2
                    } else {
                        utf8[written] = UInt8(0xE0 | (scalar >> 12))
                        utf8[written + 1] = UInt8(0x80 | ((scalar >> 6) & 0x3F))
                        utf8[written + 2] = UInt8(0x80 | (scalar & 0x3F))
                        written += 3
                    }
                }
                return written
            }
        }
    }

    /// Windows-1252 0x80–0x9F; the five bytes it leaves undefined (0x81 0x8D 0x8F 0x90 0x9D) keep their
    /// Latin-1 code points, as browsers and Windows do. 0xA0–0xFF are Latin-1.
    private static let windows1252: [UInt16] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  // € . ‚ ƒ „ … † ‡
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,  // ˆ ‰ Š ‹ Œ . Ž .
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // . ‘ ’ “ ” • – —
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,  // ˜ ™ š › œ . ž Ÿ
    ]

    /// 1234 → "1,234", the same whatever the server's locale.
    static func number(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = value < 0 ? "-" : ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return result
    }

    private static func size(_ bytes: Int) -> String {
        bytes >= 1024 && bytes % 1024 == 0 ? "\(number(bytes / 1024)) KB" : "\(number(bytes)) bytes"
    }
}

/// The error report exported back to the dispatcher (line number, problem, original row) as CSV.
public enum CSVWriter {
    /// One line of cells joined with commas and ending "\r\n"; each cell quoted when it holds , " \r or \n;
    /// a cell starting with = + - @ \t \r (a formula in a spreadsheet) gets a leading apostrophe.
    ///
    /// Works on Unicode scalars, not Characters: as Characters, "\r\n" is one that equals neither "\r"
    /// nor "\n", and "," or "=" followed by a combining mark is one that equals neither, so a cell
    /// could go out unquoted or unguarded. The ledger's and the audit log's exports use it too.
    public static func line(_ cells: [String]) -> String {
        var result = ""
        for (index, cell) in cells.enumerated() {
            if index > 0 { result.append(",") }
            result.append(Self.cell(cell))
        }
        result.append("\r\n")
        return result
    }

    static func cell(_ value: String, guarded: Bool = true) -> String {
        let scalars = value.unicodeScalars
        let formula = guarded && (scalars.first.map { "=+-@\t\r".unicodeScalars.contains($0) } ?? false)
        let text = formula ? "'" + value : value
        guard scalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            if scalar == "\"" { quoted.unicodeScalars.append(scalar) }
            quoted.unicodeScalars.append(scalar)
        }
        quoted.append("\"")
        return quoted
    }
}
