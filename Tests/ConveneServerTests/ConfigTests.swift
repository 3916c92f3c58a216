import Configuration
import ConveneCore
import Foundation
import Testing
@testable import ConveneServer

@Suite("Configuration")
struct ConfigTests {
    static let file = TestApp.root.appendingPathComponent("Config/convene.json").path

    @Test("Config/convene.json holds exactly the built-in defaults")
    func fileMatchesDefaults() async throws {
        let settings = try Settings(reader: try await ConfigReader.convene(configFile: Self.file, environment: [:]))
        #expect(settings == Settings())
        #expect(settings.bcryptCost == 12)
        #expect(settings.registrationMode == .open)
    }

    @Test("every key of Config/convene.json is one the server reads")
    func noStrayKeys() throws {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.file))) as? [String: Any] ?? [:]
        var keys: [String] = []
        for (section, value) in object {
            for key in (value as? [String: Any] ?? [:]).keys { keys.append("\(section).\(key)") }
        }
        let source = try String(contentsOf: TestApp.root.appendingPathComponent("Sources/ConveneServer/Settings.swift"), encoding: .utf8)
        for key in keys { #expect(source.contains("\"\(key)\""), "\(key) is not read") }
    }

    @Test("CONVENE_* variables override the file and flags override both")
    func layering() async throws {
        let env = ["CONVENE_SERVER_PORT": "9001", "CONVENE_REGISTRATION_MODE": "invite", "CONVENE_REGISTRATION_ALLOWED_DOMAINS": "a.org, B.org"]
        let fromEnv = try Settings(reader: try await ConfigReader.convene(configFile: Self.file, environment: env))
        #expect(fromEnv.port == 9001)
        #expect(fromEnv.registrationMode == .invite)
        #expect(fromEnv.allowedEmailDomains == ["a.org", "b.org"])
        let fromFlag = try Settings(reader: try await ConfigReader.convene(configFile: Self.file, overrides: ["server.port": .int(9002)], environment: env))
        #expect(fromFlag.port == 9002)
    }

    @Test("a missing file falls back to the defaults")
    func missingFile() async throws {
        let settings = try Settings(reader: try await ConfigReader.convene(configFile: "/nonexistent/convene.json", environment: [:]))
        #expect(settings == Settings())
    }

    @Test("bad values are refused with the key named", arguments: [
        ("CONVENE_REGISTRATION_MODE", "sometimes", "registration.mode"),
        ("CONVENE_LOG_FORMAT", "xml", "log.format"),
        ("CONVENE_SECURITY_BCRYPT_COST", "2", "security.bcrypt_cost"),
        ("CONVENE_DATABASE_URL", "mysql://x", "database.url"),
        ("CONVENE_SECURITY_TRUSTED_PROXIES", "nginx", "security.trusted_proxies"),
        ("CONVENE_MODERATION_FLAG_HIDE_THRESHOLD", "0", "moderation.flag_hide_threshold"),
    ])
    func badValues(variable: String, value: String, key: String) async throws {
        let reader = try await ConfigReader.convene(configFile: Self.file, environment: [variable: value])
        #expect(throws: ConveneError.invalid(key, "")) {
            do {
                _ = try Settings(reader: reader)
            } catch let error as ConveneError {
                throw ConveneError.invalid(error.field ?? "", "")
            }
        }
    }

    @Test("the database URL selects the SQLite file")
    func databaseURL() throws {
        var settings = Settings()
        settings.dataDir = "/srv/convene"
        #expect(try settings.database() == .sqlite(path: "/srv/convene/convene.sqlite"))
        settings.databaseURL = "sqlite:///tmp/other.sqlite"
        #expect(try settings.database() == .sqlite(path: "/tmp/other.sqlite"))
        settings.databaseURL = "postgres://convene@127.0.0.1:5432/convene"
        #expect(try settings.database() == .postgres(url: "postgres://convene@127.0.0.1:5432/convene"))
    }
}
