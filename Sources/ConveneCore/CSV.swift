import Foundation

/// CSV (RFC 4180) that is safe to open in a spreadsheet: a header, then a row each, every row
/// ended by CRLF; a field with a comma, quote or line break is quoted, and one that would start a
/// formula (`= + - @`, tab, CR) is prefixed with an apostrophe.
public enum CSV {
    public static func render(header: [String], rows: [[String]]) -> String {
        ([header] + rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    public static func field(_ value: String) -> String {
        var text = value
        if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
        guard text.contains(where: { ",\"\r\n".contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
