import FieldlineCore
import Testing

/// The bytes of a string as UTF-8.
private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The encoding `CSVFileCheck` decides for the file fed in these chunks.
private func encoding(_ chunks: [[UInt8]]) throws(FieldlineError) -> CSVEncoding {
    var check = CSVFileCheck()
    for chunk in chunks { check.feed(chunk) }
    return try check.finish()
}

/// The message `CSVFileCheck` refuses the file with (field "file"), or nil when it accepts it.
private func refusal(_ chunks: [[UInt8]]) -> String? {
    do {
        _ = try encoding(chunks)
        return nil
    } catch {
        #expect(error.code == "invalid_file")
        return error.message
    }
}

/// Every record of the file, fed in chunks of `chunk` bytes.
private func records(
    _ file: [UInt8], encoding: CSVEncoding = .utf8, delimiter: CSVDelimiter = .comma, chunk: Int = 1 << 30,
    limits: CSVReader.Limits = .init()
) throws(FieldlineError) -> [CSVRecord] {
    var reader = CSVReader(encoding: encoding, delimiter: delimiter, limits: limits)
    var result: [CSVRecord] = []
    var start = 0
    while start < file.count {
        let end = min(file.count, start + chunk)
        result += try reader.feed(file[start..<end])
        start = end
    }
    return result + (try reader.finish())
}

/// The message reading the file is refused with (field "file"), or nil when it reads.
private func readingRefusal(
    _ file: [UInt8], chunk: Int = 1 << 30, limits: CSVReader.Limits = .init()
) -> String? {
    do {
        _ = try records(file, chunk: chunk, limits: limits)
        return nil
    } catch {
        #expect(error.code == "invalid_file")
        return error.message
    }
}

private let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

/// "name,note" then "José,“quoted” €5" in Windows-1252.
private let windows1252File: [UInt8] =
    bytes("name,note\nJos") + [0xE9] + bytes(",") + [0x93] + bytes("quoted") + [0x94] + bytes(" ") + [0x80]
    + bytes("5\n")

@Suite("CSV import: the file check decides the encoding and refuses what is not text")
struct CSVFileCheckTests {
    @Test("UTF-8 with and without a BOM is UTF-8")
    func utf8() throws {
        #expect(try encoding([bytes("name,phone\nJos\u{E9},1\n")]) == .utf8)
        #expect(try encoding([bom + bytes("name,phone\nJos\u{E9},1\n")]) == .utf8)
        #expect(try encoding([bom, bytes("a,b\n")]) == .utf8)
    }

    @Test("A UTF-8 sequence split across chunks at any point stays UTF-8")
    func splitSequence() throws {
        let file = bytes("name\nJos\u{E9} \u{20AC} \u{1F600}\n")
        for split in 0...file.count {
            #expect(try encoding([Array(file[..<split]), Array(file[split...])]) == .utf8)
        }
        #expect(try encoding(file.map { [$0] }) == .utf8)
    }

    @Test("Bytes that are not valid UTF-8 make the file Windows-1252")
    func windows1252() throws {
        #expect(try encoding([windows1252File]) == .windows1252)
        #expect(try encoding([bytes("a,b\n"), [0xC3]]) == .windows1252)  // cut short at the end
        #expect(try encoding([[0xC0, 0x80]]) == .windows1252)  // overlong
        #expect(try encoding([[0xED, 0xA0, 0x80]]) == .windows1252)  // a surrogate
    }

    @Test("Tabs, line breaks and a Ctrl-Z as the very last byte are text")
    func allowedControls() throws {
        #expect(try encoding([bytes("a\tb\r\nc\n\u{1A}")]) == .utf8)
        #expect(refusal([bytes("a,b\n\u{1A}"), bytes("c\n")]) != nil)
    }

    @Test("A file with a NUL or another control byte is not a CSV text file")
    func controlBytes() {
        #expect(refusal([bytes("name,phone\n"), bytes("Dana\0,1\n")])?.contains("not a CSV text file") == true)
        #expect(refusal([bytes("a\u{7}b\n")])?.contains("not a CSV text file") == true)
    }

    @Test("A PNG is refused as not text")
    func png() {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48]
        #expect(
            refusal([png])
                == "This file is not a CSV text file (it looks like a spreadsheet or an image). "
                + "Save it as CSV from your spreadsheet and upload that.")
    }

    @Test("An .xlsx (a zip) renamed .csv is refused naming .xlsx")
    func xlsx() {
        let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00]
        let message = refusal([zip])
        #expect(message?.contains("not a CSV text file") == true)
        #expect(message?.contains(".xlsx") == true)
    }

    @Test("UTF-16 text is refused with what to save instead")
    func utf16() {
        #expect(refusal([[0xFF, 0xFE, 0x61, 0x00, 0x2C, 0x00]])?.contains("UTF-16") == true)
    }

    @Test("An empty file is refused")
    func empty() {
        #expect(refusal([]) == "This file is empty.")
        #expect(refusal([[], []]) == "This file is empty.")
        #expect(refusal([bom]) == "This file is empty.")
    }

    @Test("It counts the bytes fed")
    func byteCount() {
        var check = CSVFileCheck()
        check.feed(bytes("abc"))
        check.feed(bytes("de\n"))
        #expect(check.byteCount == 6)
    }
}

@Suite("CSV import: the delimiter comes from the header line")
struct CSVDelimiterTests {
    @Test("Comma, semicolon and tab are detected")
    func detected() {
        #expect(CSVDelimiter.detect(in: bytes("Name,Phone,Email\r\n")) == .comma)
        #expect(CSVDelimiter.detect(in: bytes("Name;Phone;Email\n1,2,3,4,5,6\n")) == .semicolon)
        #expect(CSVDelimiter.detect(in: bytes("Name\tPhone\tEmail\n")) == .tab)
    }

    @Test("Delimiters inside quotes do not count; ties go comma, semicolon, tab")
    func quotesAndTies() {
        #expect(CSVDelimiter.detect(in: bytes("\"a;b;c\",d\n")) == .comma)
        #expect(CSVDelimiter.detect(in: bytes("a;b,c\td")) == .comma)
        #expect(CSVDelimiter.detect(in: bytes("a;b\tc")) == .semicolon)
        #expect(CSVDelimiter.detect(in: bytes("Name")) == .comma)
        #expect(CSVDelimiter.detect(in: bytes("Name;Ph")) == .semicolon)  // the first bytes may end mid-line
    }

    @Test("Each delimiter has its byte and label")
    func properties() {
        #expect(CSVDelimiter.allCases.map(\.byte) == [0x2C, 0x3B, 0x09])
        #expect(CSVDelimiter.allCases.map(\.label) == ["comma", "semicolon", "tab"])
    }
}

@Suite("CSV import: the reader")
struct CSVReaderTests {
    @Test("Records end at \\n, \\r\\n or a lone \\r; the last needs no newline")
    func lineEnds() throws {
        #expect(
            try records(bytes("a,b\n1,2\r\n3,4\r5,6"))
                == [
                    CSVRecord(line: 1, fields: ["a", "b"]), CSVRecord(line: 2, fields: ["1", "2"]),
                    CSVRecord(line: 3, fields: ["3", "4"]), CSVRecord(line: 4, fields: ["5", "6"]),
                ])
    }

    @Test("A leading BOM is skipped, also when split across chunks")
    func byteOrderMark() throws {
        let file = bom + bytes("Name,Phone\nDana,1\n")
        let expected = [CSVRecord(line: 1, fields: ["Name", "Phone"]), CSVRecord(line: 2, fields: ["Dana", "1"])]
        for chunk in 1...4 {
            #expect(try records(file, chunk: chunk) == expected)
        }
        #expect(try records(bytes("\u{FEC0}x")) == [CSVRecord(line: 1, fields: ["\u{FEC0}x"])])  // starts like one
    }

    @Test("Blank lines are skipped but counted; a line of delimiters is returned")
    func blankLines() throws {
        #expect(
            try records(bytes("Name,Phone\n\n\r\n\rDana,1\n,\n"))
                == [
                    CSVRecord(line: 1, fields: ["Name", "Phone"]), CSVRecord(line: 5, fields: ["Dana", "1"]),
                    CSVRecord(line: 6, fields: ["", ""]),
                ])
    }

    @Test("Quoted fields hold delimiters, doubled quotes and newlines; later lines are numbered right")
    func quoted() throws {
        let file = bytes("Name,Note\n\"Smith, J\",\"a \"\"quoted\"\" word\"\n\"multi\nline\r\nx\rz\",2\nlast,1\n")
        #expect(
            try records(file)
                == [
                    CSVRecord(line: 1, fields: ["Name", "Note"]),
                    CSVRecord(line: 2, fields: ["Smith, J", "a \"quoted\" word"]),
                    CSVRecord(line: 3, fields: ["multi\nline\nx\rz", "2"]),
                    CSVRecord(line: 7, fields: ["last", "1"]),
                ])
    }

    @Test("A quote inside an unquoted field is literal; text after a closing quote is appended")
    func lenient() throws {
        #expect(
            try records(bytes("5\" pipe,\"abc\"def,\"x\" ,\"\"\n"))
                == [CSVRecord(line: 1, fields: ["5\" pipe", "abcdef", "x ", ""])])
    }

    @Test("Semicolon and tab files parse")
    func otherDelimiters() throws {
        #expect(
            try records(bytes("a;\"b;c\";d\n"), delimiter: .semicolon) == [
                CSVRecord(line: 1, fields: ["a", "b;c", "d"])
            ])
        #expect(
            try records(bytes("a\t\"b\tc\"\td\n"), delimiter: .tab) == [CSVRecord(line: 1, fields: ["a", "b\tc", "d"])])
    }

    @Test("\\r\\n split across chunks is one line break")
    func splitCRLF() throws {
        var reader = CSVReader(encoding: .utf8, delimiter: .comma)
        #expect(try reader.feed(bytes("a,b\r")) == [CSVRecord(line: 1, fields: ["a", "b"])])
        #expect(try reader.feed(bytes("\nc\r")) == [CSVRecord(line: 2, fields: ["c"])])
        #expect(try reader.feed(bytes("\n")) == [])
        #expect(try reader.feed(bytes("\"d\r")) == [])
        #expect(try reader.feed(bytes("\ne\"")) == [])
        #expect(try reader.finish() == [CSVRecord(line: 3, fields: ["d\ne"])])
    }

    @Test("Windows-1252 bytes decode to the right characters")
    func windows1252() throws {
        #expect(
            try records(windows1252File, encoding: .windows1252)
                == [
                    CSVRecord(line: 1, fields: ["name", "note"]),
                    CSVRecord(line: 2, fields: ["Jos\u{E9}", "\u{201C}quoted\u{201D} \u{20AC}5"]),
                ])
        let high = try records(Array(0x80...0xFF).filter { $0 != 0x2C }, encoding: .windows1252)
        let latin1 = String(String.UnicodeScalarView((0xA0...0xFF).map { Unicode.Scalar(UInt8($0)) }))
        #expect(
            high.first?.fields
                == ["€\u{81}‚ƒ„…†‡ˆ‰Š‹Œ\u{8D}Ž\u{8F}\u{90}‘’“”•–—˜™š›œ\u{9D}žŸ" + latin1])
    }

    @Test("A UTF-8 character split across chunks decodes whole")
    func splitUTF8() throws {
        let file = bytes("Ren\u{E9}e \u{1F600},\u{20AC}\n")
        for chunk in 1...4 {
            #expect(
                try records(file, chunk: chunk) == [CSVRecord(line: 1, fields: ["Ren\u{E9}e \u{1F600}", "\u{20AC}"])])
        }
    }

    @Test("Fed one byte at a time, a file reads as fed whole")
    func chunking() throws {
        let files: [(CSVEncoding, CSVDelimiter, [UInt8])] = [
            (.utf8, .comma, bytes("n,q\n\"Smith, J\",\"a \"\"q\"\" word\"\n\"multi\nline\r\nx\rz\",2\n\r\n\rlast,1")),
            (.utf8, .semicolon, bom + bytes("Name;Phone\r\n\"Ren\u{E9}e\";\"5\" pipe\"\r\n;;\r\n\"abc\"def;x\r")),
            (.utf8, .tab, bytes("a\tb\n\n\n\"q\"\"\"\t\"\r\n\"\n")),
            (.windows1252, .comma, windows1252File + bytes("\r\n\"\u{1A}\"\r\n\u{1A}")),
        ]
        for (encoding, delimiter, file) in files {
            let whole = try records(file, encoding: encoding, delimiter: delimiter)
            #expect(!whole.isEmpty)
            for chunk in [1, 2, 3, 7] {
                #expect(try records(file, encoding: encoding, delimiter: delimiter, chunk: chunk) == whole)
            }
        }
    }

    @Test("A record with too many columns is refused naming its line")
    func tooManyColumns() throws {
        let wide = String(repeating: "x,", count: 9_999) + "x"
        #expect(
            readingRefusal(bytes("Name\n\n\n\n\n\nDana\n" + wide + "\nnext\n"))
                == "Line 8 has 10,000 columns; an import takes at most 200. Is the delimiter right?")
        let widest = try records(bytes(String(repeating: "x,", count: 199) + "x\n"))
        #expect(widest.first?.fields.count == 200)
    }

    @Test("A quote left open is refused by the record size limit, naming the line")
    func openQuote() {
        var file = (1...1_233).map { "r\($0),a" }.joined(separator: "\n") + "\n\"open,quote\n"
        file += String(repeating: "more,rows,here\n", count: 10_000)
        #expect(
            readingRefusal(bytes(file), chunk: 4_096)
                == "Line 1,234 is longer than 64 KB. A quote is probably left open on that line: "
                + "a field that starts with \" must end with \".")
        #expect(readingRefusal(bytes("a\n\"open\nrest"))?.contains("Line 2 has a quote that is never closed") == true)
        #expect(readingRefusal(bytes(String(repeating: "y", count: 65_536))) == nil)
        #expect(readingRefusal(bytes(String(repeating: "y", count: 65_537))) != nil)
    }
}

@Suite("CSV export of the import's error report")
struct CSVWriterTests {
    @Test("Formulas are guarded; commas, quotes and newlines are quoted")
    func line() {
        #expect(
            CSVWriter.line(["=cmd|' /C calc'!A0", "a,b", "x\"y", "plain"])
                == "'=cmd|' /C calc'!A0,\"a,b\",\"x\"\"y\",plain\r\n")
        #expect(CSVWriter.line(["-1", "@x", "+1", "\tx", ""]) == "'-1,'@x,'+1,'\tx,\r\n")
        #expect(CSVWriter.line(["a\r\nb", "a,\u{301}b"]) == "\"a\r\nb\",\"a,\u{301}b\"\r\n")
    }

    @Test("What it writes reads back")
    func roundTrip() throws {
        let cells = ["Line 7", "a \"quote\", and\nnewline", "Jos\u{E9}"]
        #expect(try records(bytes(CSVWriter.line(cells))) == [CSVRecord(line: 1, fields: cells)])
    }

    @Test("The ledger's and the audit log's exports quote and guard by the same rules")
    func ledgerCells() {
        #expect(LedgerCSV.cell("a\r\nb") == "\"a\r\nb\"")
        #expect(LedgerCSV.cell("=\u{301}cmd") == "'=\u{301}cmd")
        #expect(LedgerCSV.cell("-1", guarded: false) == "-1")
        #expect(LedgerCSV.cell("+15125550100", guarded: false) == "+15125550100")
    }
}
