import ConveneCore
import Foundation

/// An Atom 1.0 document (RFC 4287), written as text: the feed's metadata, then its entries.
/// Every text is escaped for XML and stripped of the characters XML 1.0 cannot carry.
struct AtomFeed {
    struct Entry {
        var id: String
        var title: String
        var link: String
        var published: Date
        var updated: Date
        var author: String
        var categories: [String]
        var summary: String
        /// The entry's body as HTML (escaped into `<content type="html">`).
        var html: String
    }

    var id: String
    var title: String
    var subtitle: String
    var selfLink: String
    var alternateLink: String
    var updated: Date
    var entries: [Entry]

    static let contentType = "application/atom+xml; charset=utf-8"

    var xml: String {
        var out = #"<?xml version="1.0" encoding="utf-8"?>"# + "\n"
        out += #"<feed xmlns="http://www.w3.org/2005/Atom">"# + "\n"
        out += "  <id>\(Self.escape(id))</id>\n"
        out += "  <title type=\"text\">\(Self.escape(title))</title>\n"
        out += "  <subtitle type=\"text\">\(Self.escape(subtitle))</subtitle>\n"
        out += "  <updated>\(Self.time(updated))</updated>\n"
        out += "  <link rel=\"self\" type=\"application/atom+xml\" href=\"\(Self.escape(selfLink))\"/>\n"
        out += "  <link rel=\"alternate\" type=\"application/json\" href=\"\(Self.escape(alternateLink))\"/>\n"
        out += "  <generator>Convene</generator>\n"
        for entry in entries {
            out += "  <entry>\n"
            out += "    <id>\(Self.escape(entry.id))</id>\n"
            out += "    <title type=\"text\">\(Self.escape(entry.title))</title>\n"
            out += "    <link rel=\"alternate\" type=\"application/json\" href=\"\(Self.escape(entry.link))\"/>\n"
            out += "    <published>\(Self.time(entry.published))</published>\n"
            out += "    <updated>\(Self.time(entry.updated))</updated>\n"
            out += "    <author><name>\(Self.escape(entry.author))</name></author>\n"
            for category in entry.categories { out += "    <category term=\"\(Self.escape(category))\"/>\n" }
            out += "    <summary type=\"text\">\(Self.escape(entry.summary))</summary>\n"
            out += "    <content type=\"html\">\(Self.escape(entry.html))</content>\n"
            out += "  </entry>\n"
        }
        out += "</feed>\n"
        return out
    }

    /// RFC 3339 in UTC, as Atom's date constructs require.
    static func time(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// Text safe in XML character data and attribute values: the HTML escaping the renderer uses
    /// (`&`, `<`, `>`, quotes), less the characters XML 1.0 cannot carry.
    static func escape(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.append(contentsOf: Markdown.escape(text).unicodeScalars.filter(allowed))
        return out
    }

    /// XML 1.0's Char production: tab, newline, carriage return, and the rest of Unicode but the
    /// C0 controls, surrogates and U+FFFE/U+FFFF.
    private static func allowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }
}
