import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Fills a community's forum through the HTTP API for the read benchmarks (run by `wrk`): many
/// questions for the list, and one question with many answers and comments for the page.
struct ForumFill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forum-fill",
        abstract: "Ask questions in a community (and one with answers and comments), then print the URLs to load with wrk.")

    @OptionGroup var target: Target
    @Option(help: "Community whose forum to fill.") var community = "ohio"
    @Option(help: "Questions to ask in all (the page's question included).") var questions = 100_000
    @Option(help: "Answers on the page's question.") var answers = 20
    @Option(help: "Comments on the page's question and its answers.") var comments = 50
    @Option(help: "Requests in flight while filling.") var concurrency = 16

    func run() async throws {
        let token = try await target.login()
        _ = try? await target.post("/api/v1/communities/\(community)/join", [:], token: token)
        let detail = try await target.get("/api/v1/communities/\(community)", token: token)
        let tags = ((detail["tags"] as? [[String: Any]]) ?? []).compactMap { $0["slug"] as? String }
        guard !tags.isEmpty else { throw ValidationError("\(community) has no tags.") }

        let started = ContinuousClock.now
        let page = try await target.post(
            "/api/v1/communities/\(community)/questions",
            ["title": "How do you run advisory periods?", "body": Self.paragraph(0), "tags": [tags[0]]], token: token)
        guard let pageID = page["id"] as? Int else { throw ValidationError("The question was not created.") }
        var answerIDs: [Int] = []
        for index in 0..<answers {
            let answer = try await target.post("/api/v1/questions/\(pageID)/answers", ["body": Self.paragraph(index + 1)], token: token)
            if let id = answer["id"] as? Int { answerIDs.append(id) }
        }
        for index in 0..<comments {
            let path = index % 3 == 0 || answerIDs.isEmpty ? "/api/v1/questions/\(pageID)/comments" : "/api/v1/answers/\(answerIDs[index % answerIDs.count])/comments"
            _ = try await target.post(path, ["body": "Comment \(index): that matches what we saw this semester."], token: token)
        }

        let turns = Turns()
        let failures = Turns()
        _ = turns.take()  // the page's question is number 0
        let total = questions
        let (target, community) = (self.target, self.community)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while true {
                        let index = turns.take()
                        guard index < total else { return }
                        do {
                            _ = try await target.post(
                                "/api/v1/communities/\(community)/questions",
                                ["title": "Question \(index) about SEL practice", "body": Self.paragraph(index), "tags": [tags[index % tags.count]]],
                                token: token)
                        } catch {
                            _ = failures.take()
                        }
                        if index % 10_000 == 0 { print("asked \(index)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = Double((ContinuousClock.now - started).components.seconds)
        print("filled \(community): \(questions) questions (\(failures.take()) failed), question \(pageID) with \(answerIDs.count) answers and \(comments) comments, in \(Int(seconds)) s")
        print("page: \(target.url)/api/v1/questions/\(pageID)")
        print("list: \(target.url)/api/v1/communities/\(community)/questions")
    }

    /// A paragraph of a realistic length (about 600 characters) with some markdown.
    static func paragraph(_ index: Int) -> String {
        """
        In our district (\(index)) we start each **advisory period** with a two-minute check-in, then a short \
        activity from the SEL curriculum. Teachers rotate the facilitation so students hear different voices, \
        and the counsellors join once a month. What made the difference was *protected time*: the schedule \
        treats advisory like any other class, attendance is taken, and the activities connect to what the \
        students see in their core classes. We track participation and a short climate survey each quarter; \
        the results go back to the advisory teachers within a week so they can adjust.
        """
    }
}

extension Target {
    func get(_ path: String, token: String? = nil) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: url + path)!)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        guard let status = (response as? HTTPURLResponse)?.statusCode, status < 300 else {
            throw ValidationError("\(path) answered \(String(describing: object["error"] ?? "an error"))")
        }
        return object
    }
}
