import ConveneCore
import ConveneStore
import GRDB
import Foundation
import Logging
import NIOWebSocket
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The `convene` binary as a new user runs it, from the repository root.
@Suite("The convene command", .serialized)
struct CLITests {
    static let binary = TestApp.root.appendingPathComponent(".build/debug/convene")

    struct Run {
        var status: Int32
        var output: String
        var errors: String
    }

    static func scratch() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("convene-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.path
    }

    static func process(_ arguments: [String], environment: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = try #require(FileManager.default.isExecutableFile(atPath: binary.path) ? binary : nil, "build the package first")
        process.arguments = arguments
        process.currentDirectoryURL = TestApp.root
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CONVENE_") }.merging(environment) { $1 }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        return (process, output, errors)
    }

    static func run(_ arguments: [String]) throws -> Run {
        let (process, output, errors) = try process(arguments)
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), errors: String(decoding: err, as: UTF8.self))
    }

    @Test("seed loads the network once and says so; a second run adds nothing")
    func seedTwice() throws {
        let data = try Self.scratch()
        let first = try Self.run(["seed", "--data-dir", data])
        #expect(first.status == 0, "\(first.errors)")
        #expect(first.output.contains("35 organizations"))
        let second = try Self.run(["seed", "--data-dir", data])
        #expect(second.status == 0)
        #expect(second.output.contains("everything was already there"))
    }

    @Test("user create makes an admin; bad input and a taken email exit non-zero with a clear message")
    func userCreate() throws {
        let data = try Self.scratch()
        let created = try Self.run(["user", "create", "--data-dir", data, "--email", "Admin@Example.org", "--password", "correct horse battery", "--name", "Admin", "--admin"])
        #expect(created.status == 0, "\(created.errors)")
        #expect(created.output.contains("admin@example.org"))
        #expect(created.output.contains("admin role"))
        let taken = try Self.run(["user", "create", "--data-dir", data, "--email", "admin@example.org", "--password", "correct horse battery", "--name", "Again"])
        #expect(taken.status != 0)
        #expect(taken.errors.contains("already exists"))
        let badEmail = try Self.run(["user", "create", "--data-dir", data, "--email", "nope", "--password", "correct horse battery", "--name", "N"])
        #expect(badEmail.status != 0)
        #expect(badEmail.errors.contains("email"))
        let weak = try Self.run(["user", "create", "--data-dir", data, "--email", "b@example.org", "--password", "short", "--name", "B"])
        #expect(weak.status != 0)
        #expect(weak.errors.contains("10 characters"))
    }

    @Test("audit verify passes an intact log and names the first row of an altered one, exiting 1")
    func auditVerify() async throws {
        let data = try Self.scratch()
        let path = (data as NSString).appendingPathComponent("convene.sqlite")
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        var users: [Int64] = []
        for name in ["ann", "bob", "cy"] {
            users.append(try await store.createUser(NewUser(email: "\(name)@example.org", passwordHash: "x", displayName: name), now: now).id)
        }
        for (index, kind) in [SanctionKind.warn, .silence, .suspend].enumerated() {
            _ = try await store.addSanction(
                NewSanction(userID: users[1], kind: kind, communityID: nil, reason: "reason \(index)", createdBy: users[0], endsAt: nil),
                audit: NewAuditEntry(communityID: nil, actorID: users[0], action: kind.rawValue, targetType: "user", targetID: users[1], reason: "reason \(index)"),
                now: now.addingTimeInterval(Double(index)))
        }
        let intact = try Self.run(["audit", "verify", "--data-dir", data])
        #expect(intact.status == 0, "\(intact.errors)")
        #expect(intact.output.contains("intact: 3 rows"))

        let tamper = try DatabaseQueue(path: path)
        try await tamper.write { db in try db.execute(sql: "UPDATE audit_log SET reason = 'nothing happened' WHERE id = 2") }
        let altered = try Self.run(["audit", "verify", "--data-dir", data])
        #expect(altered.status == 1)
        #expect(altered.errors.contains("broken at row 2"), "\(altered.errors)")

        try await tamper.write { db in
            try db.execute(sql: "UPDATE audit_log SET reason = 'reason 1' WHERE id = 2")
            try db.execute(sql: "DELETE FROM audit_log WHERE id = 2")
        }
        let removed = try Self.run(["audit", "verify", "--data-dir", data])
        #expect(removed.status == 1)
        #expect(removed.errors.contains("broken at row 3"), "a removed row goes unnoticed: \(removed.errors)")
    }

    @Test("bad configuration stops a command with a message naming what is wrong")
    func badConfiguration() throws {
        let missing = try Self.run(["migrate", "--config", "/nonexistent/convene.json"])
        #expect(missing.status != 0)
        #expect(missing.errors.contains("No config file"))
        let database = try Self.run(["migrate", "--database-url", "mysql://localhost/x"])
        #expect(database.status != 0)
        #expect(database.errors.contains("database.url"))
        let malformed = try Self.run(["migrate", "--database-url", "postgres://"])
        #expect(malformed.status != 0)
        #expect(malformed.errors.contains("database.url"))
    }

    @Test("an unreachable PostgreSQL stops a command with a clear message instead of waiting forever")
    func unreachablePostgres() throws {
        let started = Date()
        let run = try Self.run(["migrate", "--database-url", "postgres://convene@127.0.0.1:1/convene"])
        #expect(run.status != 0)
        #expect(run.errors.contains("PostgreSQL did not answer"))
        #expect(Date().timeIntervalSince(started) < 30)
    }

    /// The stores to serve from: SQLite always, PostgreSQL when `POSTGRES_URL` names a server.
    static var databases: [String] {
        ProcessInfo.processInfo.environment["POSTGRES_URL"] == nil ? ["sqlite"] : ["sqlite", "postgres"]
    }

    static func databaseArguments(_ kind: String) async throws -> [String] {
        guard kind == "postgres", let base = ProcessInfo.processInfo.environment["POSTGRES_URL"], var components = URLComponents(string: base) else {
            return []
        }
        let name = "convene_cli_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12))"
        try await PostgresStore.createDatabase(named: name, serverURL: base, logger: Logger(label: "cli-tests"))
        components.path = "/\(name)"
        return ["--database-url", components.string!]
    }

    @Test("serve on a fresh database seeds, answers, and exits cleanly on SIGTERM", arguments: databases)
    func serveAndStop(database: String) async throws {
        let data = try Self.scratch()
        let (process, _, errors) = try Self.process(
            ["serve", "--data-dir", data, "--port", "0"] + (try await Self.databaseArguments(database)), environment: ["CONVENE_LOG_FORMAT": "json"])
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var log = ""
        var port: Int?
        let deadline = Date().addingTimeInterval(30)
        while port == nil && Date() < deadline {
            log += String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self)
            if let range = log.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(log[range].split(separator: ":").last ?? "")
            }
        }
        let open = try #require(port, "the server did not say where it listens: \(log)")
        #expect(log.contains("seeded the network"))
        #expect(log.split(separator: "\n").allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil }, "log lines are not JSON")
        let (body, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(open)/api/v1/communities")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let communities = (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["communities"] as? [Any]
        #expect((communities?.count ?? 0) >= 20)

        // A streaming client gets a close frame when the server stops (swift-websocket sends 1000 on
        // graceful shutdown), not a dropped connection.
        var register = URLRequest(url: URL(string: "http://127.0.0.1:\(open)/api/v1/auth/register")!)
        register.httpMethod = "POST"
        register.setValue("application/json", forHTTPHeaderField: "Content-Type")
        register.httpBody = try JSONSerialization.data(withJSONObject: ["email": "s@example.org", "password": "correct horse battery", "display_name": "S"])
        let (session, _) = try await URLSession.shared.data(for: register)
        let token = try #require((try JSONSerialization.jsonObject(with: session) as? [String: Any])?["token"] as? String)
        let stream = StreamClient(port: open, headers: StreamClient.bearer(token))
        #expect(await stream.next()?["op"] as? String == "ready")

        let stopAsked = Date()
        process.terminate()
        let code = await stream.closeCode()
        #expect(code == .normalClosure || code == .goingAway, "closed with \(String(describing: code))")
        process.waitUntilExit()
        #expect(Date().timeIntervalSince(stopAsked) < 10)
        #expect(process.terminationStatus == 0)
    }
}
