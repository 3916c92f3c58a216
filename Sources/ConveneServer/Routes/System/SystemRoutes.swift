import Hummingbird
import ConveneCore
import ConveneStore
import Foundation
import NIOCore

/// `/healthz`, `/readyz`, the OpenAPI document and the front page.
struct SystemRoutes {
    let store: any ConveneStore
    let resources: Resources
    let metrics: ServerMetrics

    func add(to router: some RouterMethods<AppRequestContext>) {
        router.get("/metrics") { _, _ in
            resources.response(ByteBuffer(string: metrics.exposition()), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/healthz") { _, _ in
            try JSON.response(["status": "ok"])
        }
        router.get("/readyz") { _, _ in
            guard await store.isReady() else { throw ConveneError(.unavailable, "The store is not ready.") }
            return try JSON.response(["status": "ready"])
        }
        router.get("/api/v1/openapi.yaml") { _, _ in
            resources.response(resources.openAPI, contentType: "application/yaml; charset=utf-8")
        }
        router.get("/") { _, _ in
            resources.response(resources.indexPage, contentType: "text/html; charset=utf-8")
        }
    }
}

/// Files shipped inside the binary's resource bundle, read once at start.
struct Resources: Sendable {
    let openAPI: ByteBuffer
    let indexPage: ByteBuffer
    let commonPasswords: Set<String>

    static func load() throws -> Resources {
        func read(_ name: String, _ ext: String) throws -> Data {
            guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources") else {
                throw ConveneError(.internalError, "The resource \(name).\(ext) is missing from the build.")
            }
            return try Data(contentsOf: url)
        }
        let passwords = String(decoding: try read("common-passwords", "txt"), as: UTF8.self)
            .split(whereSeparator: \.isNewline).map { $0.lowercased() }
        return Resources(
            openAPI: ByteBuffer(bytes: try read("openapi", "yaml")),
            indexPage: ByteBuffer(bytes: try read("index", "html")),
            commonPasswords: Set(passwords))
    }

    func response(_ body: ByteBuffer, contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: body))
    }
}
