import ConveneCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOSSL
import Testing
@testable import ConveneServer

/// The node serving HTTPS and wss itself, from `tls.certificate_path` and `tls.key_path`.
@Suite("Direct TLS", .timeLimit(.minutes(2)))
struct TLSTests {
    /// A self-signed certificate for localhost and its key, made by openssl in a new folder.
    static func selfSigned() throws -> (certificate: String, key: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("convene-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let certificate = folder.appendingPathComponent("cert.pem").path
        let key = folder.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", key, "-out", certificate,
        ]
        openssl.standardError = FileHandle.nullDevice
        openssl.standardOutput = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0, "openssl could not make a certificate")
        return (certificate, key)
    }

    static var trustingClient: TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        return tls
    }

    @Test("with a certificate and key the node serves HTTPS and wss on its port, marks the session cookie Secure, and plain HTTP gets no answer")
    func servesTLS() async throws {
        let (certificate, key) = try Self.selfSigned()
        let app = try await TestApp.make {
            $0.tlsCertificatePath = certificate
            $0.tlsKeyPath = key
        }
        try await app.live { _, port async throws in
            let https = TestClient(host: "127.0.0.1", port: port, configuration: .init(tlsConfiguration: Self.trustingClient, serverName: "localhost"))
            https.connect()
            #expect(try await https.get("/healthz").status == .ok)
            let registered = try await https.post(
                "/api/v1/auth/register", headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"email": "ann@example.org", "password": "correct horse battery", "display_name": "Ann"}"#))
            #expect(registered.status == .created)
            let cookie = registered.headers[.setCookie] ?? ""
            #expect(cookie.contains("Secure"), "\(cookie)")
            let token = try #require(
                (try JSONSerialization.jsonObject(with: Data((registered.body ?? ByteBuffer()).readableBytesView)) as? [String: Any])?["token"] as? String)
            try await https.shutdown()

            let stream = StreamClient(port: port, headers: StreamClient.bearer(token), tls: Self.trustingClient)
            let ready = await stream.next(timeout: 10)
            if ready == nil { Issue.record("wss failed: \(await stream.connection.result)") }
            #expect(ready?["op"] as? String == "ready")
            _ = await stream.close()

            let plain = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(3)))
            plain.connect()
            await #expect(throws: (any Error).self, "plain HTTP was answered on the TLS port") { _ = try await plain.get("/healthz") }
            try? await plain.shutdown()
        }
    }

    @Test("a certificate path that does not hold a certificate stops the node, naming the key; one of the pair alone is refused")
    func badFiles() async throws {
        var settings = Settings()
        settings.tlsCertificatePath = "/nonexistent/cert.pem"
        settings.tlsKeyPath = "/nonexistent/key.pem"
        do {
            _ = try settings.tlsConfiguration()
            Issue.record("a missing certificate was accepted")
        } catch {
            #expect(error.field == "tls.certificate_path")
        }
        let (certificate, _) = try Self.selfSigned()
        settings.tlsCertificatePath = certificate
        do {
            _ = try settings.tlsConfiguration()
            Issue.record("a missing key was accepted")
        } catch {
            #expect(error.field == "tls.key_path")
        }
        settings.tlsKeyPath = ""
        do {
            try settings.validate()
            Issue.record("a certificate without a key was accepted")
        } catch {
            #expect(error.field == "tls.key_path")
        }
    }
}
