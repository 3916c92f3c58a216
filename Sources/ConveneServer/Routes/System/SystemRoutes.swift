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
    let drain: StreamDrain

    func add(to router: some RouterMethods<AppRequestContext>) {
        router.get("/metrics") { _, _ in
            resources.response(ByteBuffer(string: metrics.exposition()), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/healthz") { _, _ in
            try JSON.response(["status": "ok"])
        }
        router.get("/readyz") { _, _ in
            // From SIGTERM on, a load balancer is told to send new clients elsewhere.
            guard !drain.isDraining else { throw ConveneError(.unavailable, "This node is shutting down.") }
            guard await store.isReady() else { throw ConveneError(.unavailable, "The store is not ready.") }
            return try JSON.response(["status": "ready"])
        }
        router.get("/api/v1/openapi.yaml") { _, _ in
            resources.response(resources.openAPI, contentType: "application/yaml; charset=utf-8")
        }
        // The web client: its page at / (and /status, the status report's page), its modules under /app/.
        for path in ["/", "/status"] {
            router.get(RouterPath(path)) { _, _ in
                resources.response(resources.indexPage, contentType: "text/html; charset=utf-8")
            }
        }
        for folder in ["", "views/"] {
            router.get(RouterPath("/app/\(folder){file}")) { _, context in
                guard let name = context.parameters.get("file"), let file = resources.web[folder + name] else { throw ConveneError.notFound("The file") }
                var response = resources.response(file.body, contentType: file.contentType)
                response.headers[.cacheControl] = "no-cache"
                return response
            }
        }
    }
}

/// Files shipped inside the binary's resource bundle, read once at start.
struct Resources: Sendable {
    struct File: Sendable {
        var body: ByteBuffer
        var contentType: String
    }

    let openAPI: ByteBuffer
    let indexPage: ByteBuffer
    let commonPasswords: Set<String>
    /// The web client's files (`Resources/Web`) by their path below it: `app.js`, `views/channel.js`.
    let web: [String: File]

    static func load() throws -> Resources {
        func read(_ name: String, _ ext: String) throws -> Data {
            guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources") else {
                throw ConveneError(.internalError, "The resource \(name).\(ext) is missing from the build.")
            }
            return try Data(contentsOf: url)
        }
        let passwords = String(decoding: try read("common-passwords", "txt"), as: UTF8.self)
            .split(whereSeparator: \.isNewline).map { $0.lowercased() }
        guard let webRoot = Bundle.module.url(forResource: "Web", withExtension: nil, subdirectory: "Resources"),
            let files = FileManager.default.enumerator(at: webRoot, includingPropertiesForKeys: nil)
        else {
            throw ConveneError(.internalError, "The web client is missing from the build.")
        }
        let types = ["js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "html": "text/html; charset=utf-8", "svg": "image/svg+xml"]
        var web: [String: File] = [:]
        let prefix = webRoot.standardizedFileURL.path + "/"
        for case let url as URL in files {
            guard let type = types[url.pathExtension] else { continue }
            let path = String(url.standardizedFileURL.path.dropFirst(prefix.count))
            web[path] = File(body: ByteBuffer(bytes: try Data(contentsOf: url)), contentType: type)
        }
        guard let index = web["index.html"] else { throw ConveneError(.internalError, "The web client's index.html is missing from the build.") }
        return Resources(
            openAPI: ByteBuffer(bytes: try read("openapi", "yaml")), indexPage: index.body, commonPasswords: Set(passwords), web: web)
    }

    func response(_ body: ByteBuffer, contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: body))
    }
}
