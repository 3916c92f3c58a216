public import ConveneCore
public import Foundation
import PostgresNIO

/// Full-text search over the forums, and the knowledge base of accepted answers.
extension PostgresStore {
    /// The text a question is searched by, as its GIN index holds it.
    static let questionVector = "to_tsvector('english', q.title || ' ' || q.body)"

    /// `hits(question_id, rank)`: each question whose title and body, or one of whose answers
    /// (only accepted ones when `acceptedOnly`), match the tsquery `$1` — ts_rank, higher is
    /// better — at its best.
    private static func hits(acceptedOnly: Bool) -> String {
        """
        WITH query AS (SELECT to_tsquery('english', $1) AS tsq),
        hits AS (
            SELECT q.id AS question_id, ts_rank(\(questionVector), query.tsq) AS rank FROM questions q, query WHERE \(questionVector) @@ query.tsq
            UNION ALL
            SELECT a.question_id, ts_rank(to_tsvector('english', a.body), query.tsq) FROM answers a, query
            WHERE to_tsvector('english', a.body) @@ query.tsq AND a.hidden_at IS NULL \(acceptedOnly ? "AND a.accepted_at IS NOT NULL" : "")
        ), best AS (SELECT question_id, MAX(rank) AS rank FROM hits GROUP BY question_id)
        """
    }

    /// Parameters numbered in the order they are added.
    private struct Binder {
        var bindings = PostgresBindings()

        mutating func add<T: PostgresNonThrowingEncodable & Sendable>(_ value: T) -> String {
            bindings.append(value)
            return "$\(bindings.count)"
        }
    }

    private static func tagged(_ placeholder: String) -> String {
        "AND EXISTS (SELECT 1 FROM question_tags t WHERE t.question_id = q.id AND t.tag = \(placeholder))"
    }

    public func searchQuestions(terms: [String], communityIDs: [Int64], tag: String?, limit: Int, offset: Int) async throws -> [Question] {
        guard !terms.isEmpty, !communityIDs.isEmpty else { return [] }
        var binder = Binder()
        _ = binder.add(Self.tsQuery(terms))
        let communities = binder.add(communityIDs)
        let tagCondition = tag.map { Self.tagged(binder.add($0)) } ?? ""
        let page = "LIMIT \(binder.add(Int64(limit))) OFFSET \(binder.add(Int64(offset)))"
        return try await rows(
            PostgresQuery(
                unsafeSQL: """
                    \(Self.hits(acceptedOnly: false))
                    SELECT q.*, u.display_name AS author_name FROM best JOIN questions q ON q.id = best.question_id JOIN users u ON u.id = q.author_id
                    WHERE q.hidden_at IS NULL AND q.community_id = ANY(\(communities)) \(tagCondition)
                    ORDER BY best.rank * (CASE WHEN q.accepted_answer_id IS NULL THEN 1 ELSE 2 END) DESC, q.id DESC \(page)
                    """, binds: binder.bindings)
        ).map { try $0.question() }
    }

    public func knowledge(terms: [String]?, communityIDs: [Int64], tag: String?, reviewDue: Date?, limit: Int, offset: Int) async throws
        -> [KnowledgeEntry]
    {
        guard !communityIDs.isEmpty, terms?.isEmpty != true else { return [] }
        var binder = Binder()
        var sql: String
        if let terms {
            _ = binder.add(Self.tsQuery(terms))
            sql = Self.hits(acceptedOnly: true) + " SELECT q.id FROM best JOIN questions q ON q.id = best.question_id"
        } else {
            sql = "SELECT q.id FROM questions q"
        }
        sql += """
             JOIN answers a ON a.id = q.accepted_answer_id
            WHERE q.hidden_at IS NULL AND a.hidden_at IS NULL AND q.community_id = ANY(\(binder.add(communityIDs)))
            """
        if let tag { sql += " " + Self.tagged(binder.add(tag)) }
        if let reviewDue { sql += " AND a.review_by IS NOT NULL AND a.review_by <= \(binder.add(reviewDue))" }
        sql += reviewDue != nil ? " ORDER BY a.review_by, q.id" : terms != nil ? " ORDER BY best.rank DESC, q.id DESC" : " ORDER BY a.accepted_at DESC, q.id DESC"
        sql += " LIMIT \(binder.add(Int64(limit))) OFFSET \(binder.add(Int64(offset)))"
        let ids = try await rows(PostgresQuery(unsafeSQL: sql, binds: binder.bindings)).map { try $0["id"].decode(Int64.self) }
        guard !ids.isEmpty else { return [] }
        var questions: [Int64: Question] = [:]
        for row in try await rows("\(unescaped: ForumSQL.questionSelect) WHERE q.id = ANY(\(ids))") {
            let question = try row.question()
            questions[question.id] = question
        }
        var answers: [Int64: (Answer, String)] = [:]
        for row in try await rows(
            """
            SELECT a.*, u.display_name AS author_name, acceptor.display_name AS accepted_by_name
            FROM answers a JOIN users u ON u.id = a.author_id JOIN users acceptor ON acceptor.id = a.accepted_by
            WHERE a.question_id = ANY(\(ids)) AND a.accepted_at IS NOT NULL
            """)
        {
            answers[try row["question_id"].decode(Int64.self)] = (try row.answer(), try row["accepted_by_name"].decode(String.self))
        }
        return ids.compactMap { id in
            guard let question = questions[id], let (answer, acceptor) = answers[id] else { return nil }
            return KnowledgeEntry(question: question, answer: answer, acceptedByName: acceptor)
        }
    }
}
