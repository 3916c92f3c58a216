import Foundation
import HTTPTypes
import Hummingbird
import Synchronization
import Testing
@testable import ConveneServer

/// Records the routes an area registers, without serving them.
final class RouteRecorder: RouterMethods, Sendable {
    typealias Context = AppRequestContext
    let routes = Mutex<[(method: String, path: String)]>([])

    @discardableResult func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) -> Self
    where Responder.Context == Context {
        let normalised = path.description.split(separator: "/").map { part in
            part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
        }
        routes.withLock { $0.append((method.rawValue.lowercased(), "/" + normalised.joined(separator: "/"))) }
        return self
    }

    func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self { self }
}

@Suite("OpenAPI document")
struct OpenAPITests {
    /// `path → methods` read from the YAML's `paths:` block by indentation.
    static func documented() throws -> [String: Set<String>] {
        let text = try String(contentsOf: TestApp.root.appendingPathComponent("Sources/ConveneServer/Resources/openapi.yaml"), encoding: .utf8)
        var result: [String: Set<String>] = [:]
        var inPaths = false
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            guard inPaths else { continue }
            if !line.isEmpty && !line.hasPrefix(" ") { break }
            if line.hasPrefix("  /") && line.hasSuffix(":") && !line.hasPrefix("   ") {
                current = String(line.dropFirst(2).dropLast())
                result[current!] = []
            } else if let current, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "patch", "delete"].contains(String(method)) { result[current]!.insert(String(method)) }
            }
        }
        return result
    }

    @Test("every registered route is documented in openapi.yaml, and nothing else is")
    func routesMatchDocument() async throws {
        let app = try await TestApp.make()
        let recorder = RouteRecorder()
        addRoutes(app.services, to: recorder)
        let registered = recorder.routes.withLock { $0 }
        #expect(registered.count > 10)
        let documented = try Self.documented()
        for route in registered {
            #expect(documented[route.path]?.contains(route.method) == true, "\(route.method.uppercased()) \(route.path) is not documented")
        }
        let documentedCount = documented.values.reduce(0) { $0 + $1.count }
        #expect(documentedCount == registered.count, "openapi.yaml documents routes the server does not have")
    }
}
