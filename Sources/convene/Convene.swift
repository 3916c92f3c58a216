import ArgumentParser
import Configuration
import ConveneCore
import ConveneServer
import ConveneStore
import Foundation
import Logging

/// `convene serve · migrate · seed · user create · audit verify`.
@main
struct Convene: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convene",
        abstract: "A collaboration server for networks of SEL learning communities.",
        subcommands: [Serve.self, Migrate.self, Seed.self, UserCommand.self, Audit.self, PolicyCommand.self],
        defaultSubcommand: Serve.self)
}

/// Options every command takes; each overrides its `CONVENE_*` environment twin and the config file.
struct CommonOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: "JSON config file (env CONVENE_CONFIG).")
    var configFile: String?

    @Option(name: .customLong("data-dir"), help: "Folder for the database and files (env CONVENE_DATA_DIR).")
    var dataDir: String?

    @Option(name: .customLong("database-url"), help: "Empty for SQLite in the data dir, or sqlite:PATH (env CONVENE_DATABASE_URL).")
    var databaseURL: String?

    func settings(extra: [String: ConfigContent] = [:]) async throws -> Settings {
        var overrides = extra
        if let dataDir { overrides["data.dir"] = .string(dataDir) }
        if let databaseURL { overrides["database.url"] = .string(databaseURL) }
        let file = configFile ?? ProcessInfo.processInfo.environment["CONVENE_CONFIG"] ?? "Config/convene.json"
        if configFile != nil && !FileManager.default.fileExists(atPath: file) {
            throw ValidationError("No config file at \(file).")
        }
        do {
            return try Settings(reader: try await ConfigReader.convene(configFile: file, overrides: overrides))
        } catch let error as ConveneError {
            throw ValidationError(error.message)
        }
    }
}

/// Runs a command body, turning the domain's errors into a clear message and a non-zero exit.
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ConveneError {
        FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
        throw ExitCode(error.code == .conflict ? 3 : 2)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve HTTP and WebSocket; seeds an empty database first.")
    @OptionGroup var options: CommonOptions

    @Option(help: "Address to listen on (env CONVENE_SERVER_HOST).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (env CONVENE_SERVER_PORT).")
    var port: Int?

    func run() async throws {
        var extra: [String: ConfigContent] = [:]
        if let host { extra["server.host"] = .string(host) }
        if let port { extra["server.port"] = .int(port) }
        let settings = try await options.settings(extra: extra)
        ConveneNode.bootstrapLogging(settings)
        try await reportingErrors {
            try await ConveneNode.serve(settings, logger: Logger(label: "convene"))
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations.")
    @OptionGroup var options: CommonOptions

    func run() async throws {
        let settings = try await options.settings()
        try await reportingErrors {
            let ready = try await ConveneNode.withStore(settings, logger: Logger(label: "convene")) { store in await store.isReady() }
            print(ready ? "The database is migrated." : "The database is not ready.")
        }
    }
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load the seed network; adds only what is missing, so it can run again.")
    @OptionGroup var options: CommonOptions

    @Option(help: "Seed file (default: seeds.path from the config, seeds/network.json).")
    var seeds: String?

    func run() async throws {
        let settings = try await options.settings()
        try await reportingErrors {
            let network = try ConveneNode.loadSeeds(path: seeds ?? settings.seedsPath)
            let report = try await ConveneNode.withStore(settings, logger: Logger(label: "convene")) { store in
                try await store.seed(network, now: Date())
            }
            print(
                "Seeded: \(report.states) states, \(report.organizations) organizations, \(report.communities) communities, "
                    + "\(report.committees) committees, \(report.channels) channels, \(report.tags) tags, \(report.callSeries) call series added"
                    + (report.total == 0 ? " (everything was already there)." : "."))
        }
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Manage users.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user; --admin grants the network admin role.")
        @OptionGroup var options: CommonOptions

        @Option var email: String
        @Option var password: String
        @Option var name: String
        @ArgumentParser.Flag(help: "Make the user a network admin.") var admin = false

        func run() async throws {
            let settings = try await options.settings()
            try await reportingErrors {
                let (email, password, name, admin) = (email, password, name, admin)
                let user = try await ConveneNode.withStore(settings, logger: Logger(label: "convene")) { store in
                    try await ConveneNode.createUser(store: store, settings: settings, email: email, password: password, name: name, admin: admin)
                }
                print("Created user \(user.id) <\(user.email)>\(admin ? " with the admin role on the network" : "").")
            }
        }
    }
}


struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The moderation audit log.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the audit log's hash chain; names the first broken row and exits 1 when it is broken.")
        @OptionGroup var options: CommonOptions

        func run() async throws {
            let settings = try await options.settings()
            try await reportingErrors {
                let outcome = try await ConveneNode.withStore(settings, logger: Logger(label: "convene")) { store in
                    try await ConveneNode.verifyAudit(store)
                }
                switch outcome {
                case .intact(let rows):
                    print("The audit log is intact: \(rows) rows, each chained to the one before.")
                case .broken(let row, let reason):
                    FileHandle.standardError.write(Data("The audit log is broken at row \(row): \(reason).\n".utf8))
                    throw ExitCode(1)
                }
            }
        }
    }
}

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Print the role × action table of the Policy (docs/POLICY.md is this output).")

    func run() async throws {
        print(Policy.markdownTable(), terminator: "")
    }
}
