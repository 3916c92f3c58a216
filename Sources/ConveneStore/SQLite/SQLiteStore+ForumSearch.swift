public import ConveneCore
public import Foundation
import GRDB

/// Full-text search over the forums, and the knowledge base of accepted answers.
extension SQLiteStore {
    /// `hits(question_id, rank)`: each question whose title and body, or one of whose answers
    /// (only accepted ones when `acceptedOnly`), match — bm25, lower is better — at its best.
    /// Takes the match twice as arguments.
    private static func hits(acceptedOnly: Bool) -> String {
        """
        WITH hits(question_id, rank) AS (
            SELECT rowid, bm25(questions_fts, 2.0, 1.0) FROM questions_fts WHERE questions_fts MATCH ?
            UNION ALL
            SELECT a.question_id, bm25(answers_fts) FROM answers_fts JOIN answers a ON a.id = answers_fts.rowid
            WHERE answers_fts MATCH ? AND a.hidden_at IS NULL \(acceptedOnly ? "AND a.accepted_at IS NOT NULL" : "")
        ), best AS (SELECT question_id, MIN(rank) AS rank FROM hits GROUP BY question_id)
        """
    }

    private static let tagged = "AND EXISTS (SELECT 1 FROM question_tags t WHERE t.question_id = q.id AND t.tag = ?)"

    public func searchQuestions(terms: [String], communityIDs: [Int64], tag: String?, limit: Int, offset: Int) async throws -> [Question] {
        guard !terms.isEmpty, !communityIDs.isEmpty else { return [] }
        let match = Self.ftsMatch(terms)
        return try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    \(Self.hits(acceptedOnly: false))
                    SELECT q.*, u.display_name AS author_name FROM best JOIN questions q ON q.id = best.question_id JOIN users u ON u.id = q.author_id
                    WHERE q.hidden_at IS NULL AND q.community_id IN (\(databaseQuestionMarks(count: communityIDs.count))) \(tag == nil ? "" : Self.tagged)
                    ORDER BY best.rank * (CASE WHEN q.accepted_answer_id IS NULL THEN 1 ELSE 2 END), q.id DESC LIMIT ? OFFSET ?
                    """,
                arguments: [match, match] + StatementArguments(communityIDs) + StatementArguments(tag.map { [$0] } ?? []) + [limit, offset]
            ).map(Self.question)
        }
    }

    public func knowledge(terms: [String]?, communityIDs: [Int64], tag: String?, reviewDue: Date?, limit: Int, offset: Int) async throws
        -> [KnowledgeEntry]
    {
        guard !communityIDs.isEmpty, terms?.isEmpty != true else { return [] }
        return try await read { db in
            var arguments = StatementArguments()
            var sql = ""
            if let terms {
                let match = Self.ftsMatch(terms)
                arguments += [match, match]
                sql = Self.hits(acceptedOnly: true) + " SELECT q.id FROM best JOIN questions q ON q.id = best.question_id"
            } else {
                sql = "SELECT q.id FROM questions q"
            }
            sql += """
                 JOIN answers a ON a.id = q.accepted_answer_id
                WHERE q.hidden_at IS NULL AND a.hidden_at IS NULL AND q.community_id IN (\(databaseQuestionMarks(count: communityIDs.count)))
                """
            arguments += StatementArguments(communityIDs)
            if let tag {
                sql += " " + Self.tagged
                arguments += [tag]
            }
            if let reviewDue {
                sql += " AND a.review_by IS NOT NULL AND a.review_by <= ?"
                arguments += [reviewDue]
            }
            sql +=
                reviewDue != nil ? " ORDER BY a.review_by, q.id" : terms != nil ? " ORDER BY best.rank, q.id DESC" : " ORDER BY a.accepted_at DESC, q.id DESC"
            sql += " LIMIT ? OFFSET ?"
            arguments += [limit, offset]
            let ids = try Int64.fetchAll(db, sql: sql, arguments: arguments)
            guard !ids.isEmpty else { return [] }
            let marks = databaseQuestionMarks(count: ids.count)
            let questions = Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(db, sql: "\(ForumSQL.questionSelect) WHERE q.id IN (\(marks))", arguments: StatementArguments(ids))
                    .map(Self.question).map { ($0.id, $0) })
            var answers: [Int64: (Answer, String)] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT a.*, u.display_name AS author_name, acceptor.display_name AS accepted_by_name
                    FROM answers a JOIN users u ON u.id = a.author_id JOIN users acceptor ON acceptor.id = a.accepted_by
                    WHERE a.question_id IN (\(marks)) AND a.accepted_at IS NOT NULL
                    """, arguments: StatementArguments(ids))
            {
                answers[row["question_id"]] = (Self.answer(row), row["accepted_by_name"])
            }
            return ids.compactMap { id in
                guard let question = questions[id], let (answer, acceptor) = answers[id] else { return nil }
                return KnowledgeEntry(question: question, answer: answer, acceptedByName: acceptor)
            }
        }
    }
}
