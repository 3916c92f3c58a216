public import ConveneCore
import Crypto
import Foundation

/// The audit log's hash chain: each row's hash covers its fields and the previous row's hash.
public enum AuditChain {
    /// The SHA-256 (hex) of a row's chained text.
    public static func hash(_ entry: AuditEntry) -> String {
        SHA256.hash(data: Data(entry.chainedText.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A row ready to append after `previousHash`, its hash computed.
    static func next(id: Int64, _ new: NewAuditEntry, previousHash: String, now: Date) -> AuditEntry {
        var entry = AuditEntry(
            id: id, communityID: new.communityID, actorID: new.actorID, action: new.action, targetType: new.targetType, targetID: new.targetID,
            reason: new.reason, before: new.before, after: new.after, createdAt: AuditEntry.millisecondTime(now), previousHash: previousHash, hash: "")
        entry.hash = hash(entry)
        return entry
    }

    /// Where a chain read in id order breaks.
    public struct Break: Sendable, Equatable, Error {
        public var id: Int64
        public var reason: String
    }

    /// Checks rows that follow a row hashed `previousHash` (the genesis hash for the first row);
    /// returns the last hash to go on from, or throws the first broken row.
    public static func verify(_ entries: [AuditEntry], after previousHash: String) throws(Break) -> String {
        var previous = previousHash
        for entry in entries {
            guard entry.previousHash == previous else {
                throw Break(id: entry.id, reason: "it does not follow the row before it (a row was altered, removed or inserted before it)")
            }
            guard hash(entry) == entry.hash else { throw Break(id: entry.id, reason: "its contents do not match its hash (it was altered)") }
            previous = entry.hash
        }
        return previous
    }

    /// A sanction or an appeal as audit rows show it.
    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
