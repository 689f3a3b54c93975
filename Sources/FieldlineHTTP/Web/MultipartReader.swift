import FieldlineCore
import Foundation

/// A streaming reader of a `multipart/form-data` body (RFC 7578), for the one form that uploads a
/// file: bytes are handed on as they arrive, so a 25 MB file never sits in memory whole. Fields
/// other than files are small and collected whole (at most `fieldLimit` bytes).
struct MultipartReader {
    enum Event: Equatable {
        case partStart(name: String, fileName: String?)
        case data([UInt8])
        case partEnd
    }

    private enum State {
        case preamble
        case headers
        case body
        case epilogue
    }

    private let delimiter: [UInt8]
    private var buffer: [UInt8] = Array("\r\n".utf8)
    private var state = State.preamble
    static let headerLimit = 8 * 1024

    /// The boundary from a `Content-Type: multipart/form-data; boundary=…` header, or nil.
    static func boundary(contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return (1...70).contains(value.utf8.count) ? value : nil
        }
        return nil
    }

    init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    var finished: Bool { state == .epilogue }

    mutating func feed(_ bytes: some Collection<UInt8>) throws -> [Event] {
        guard state != .epilogue else { return [] }
        buffer.append(contentsOf: bytes)
        var events: [Event] = []
        var progressed = true
        while progressed {
            progressed = false
            switch state {
            case .preamble:
                if let found = find(delimiter) {
                    buffer.removeFirst(found + delimiter.count)
                    state = .headers
                    progressed = true
                } else if buffer.count > delimiter.count {
                    buffer.removeFirst(buffer.count - delimiter.count)
                }
            case .headers:
                // After a delimiter: "--" ends the body, otherwise CRLF and the part's headers.
                guard buffer.count >= 2 else { break }
                if buffer[0] == UInt8(ascii: "-") && buffer[1] == UInt8(ascii: "-") {
                    state = .epilogue
                    buffer = []
                    break
                }
                guard let end = find(Array("\r\n\r\n".utf8)) else {
                    if buffer.count > Self.headerLimit { throw Self.malformed }
                    break
                }
                let text = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                events.append(try Self.partStart(text))
                state = .body
                progressed = true
            case .body:
                if let found = find(delimiter) {
                    if found > 0 { events.append(.data(Array(buffer[..<found]))) }
                    buffer.removeFirst(found + delimiter.count)
                    events.append(.partEnd)
                    state = .headers
                    progressed = true
                } else if buffer.count > delimiter.count {
                    // All but what could be the start of a delimiter split across reads.
                    let safe = buffer.count - delimiter.count
                    events.append(.data(Array(buffer[..<safe])))
                    buffer.removeFirst(safe)
                }
            case .epilogue:
                break
            }
        }
        return events
    }

    /// Whether the body ended properly (its closing delimiter seen).
    func finish() throws {
        guard state == .epilogue else { throw Self.malformed }
    }

    static let malformed = FieldlineError.invalid(
        field: "file", message: "The upload arrived incomplete or malformed. Choose the file and upload it again.")

    private static func partStart(_ headers: String) throws -> Event {
        for line in headers.split(separator: "\r\n") {
            let pair = line.split(separator: ":", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "content-disposition"
            else { continue }
            var name: String?
            var fileName: String?
            for parameter in Self.parameters(String(pair[1])) {
                switch parameter.key {
                case "name": name = parameter.value
                case "filename": fileName = parameter.value
                default: break
                }
            }
            guard let name else { throw malformed }
            return .partStart(name: name, fileName: fileName)
        }
        throw malformed
    }

    /// `form-data; name="file"; filename="a; b.csv"`: quoted values may hold `;`.
    private static func parameters(_ text: String) -> [(key: String, value: String)] {
        var result: [(String, String)] = []
        var scalars = Substring(text)
        while !scalars.isEmpty {
            scalars = scalars.drop { $0 == ";" || $0 == " " || $0 == "\t" }
            let key = scalars.prefix { $0 != "=" && $0 != ";" }
            scalars = scalars.dropFirst(key.count)
            var value = ""
            if scalars.first == "=" {
                scalars = scalars.dropFirst()
                if scalars.first == "\"" {
                    scalars = scalars.dropFirst()
                    // Browsers percent-encode a quote in a file name and leave a backslash as
                    // it is (a Windows path), so nothing here is an escape.
                    while let character = scalars.first, character != "\"" {
                        value.append(character)
                        scalars = scalars.dropFirst()
                    }
                    scalars = scalars.dropFirst()
                } else {
                    let raw = scalars.prefix { $0 != ";" }
                    value = raw.trimmingCharacters(in: .whitespaces)
                    scalars = scalars.dropFirst(raw.count)
                }
            }
            let trimmed = key.trimmingCharacters(in: .whitespaces).lowercased()
            if !trimmed.isEmpty { result.append((trimmed, value)) }
        }
        return result
    }

    /// Where `pattern` starts in the buffer, if it does.
    private func find(_ pattern: [UInt8]) -> Int? {
        guard let first = pattern.first, buffer.count >= pattern.count else { return nil }
        var index = 0
        let last = buffer.count - pattern.count
        return buffer.withUnsafeBufferPointer { bytes in
            while index <= last {
                guard let hit = bytes[index...last].firstIndex(of: first) else { return nil }
                var matches = true
                for offset in 1..<pattern.count where bytes[hit + offset] != pattern[offset] {
                    matches = false
                    break
                }
                if matches { return hit }
                index = hit + 1
            }
            return nil
        }
    }
}
