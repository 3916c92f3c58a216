import Hummingbird
import ConveneCore
import Logging

/// Turns every failure into the API's error body. A client's mistake keeps its 4xx; anything else is
/// logged with the request id and answered 500 without detail.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ConveneError {
            if error.code == .forbidden {
                context.logger.notice(
                    "denied", metadata: ["user": "\(context.auth?.user.id ?? 0)", "path": "\(request.uri.path)", "reason": "\(error.message)"])
            }
            return try error.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            return try Self.translate(error.status).response(from: request, context: context)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            return try ConveneError(.internalError, "Something went wrong on the server; it has been logged.")
                .response(from: request, context: context)
        }
    }

    /// Hummingbird's own errors (no route, body too large…) in our vocabulary.
    static func translate(_ status: HTTPResponse.Status) -> ConveneError {
        switch status.code {
        case 400: ConveneError(.badRequest, "The request could not be read.")
        case 401: ConveneError(.unauthenticated, "Sign in to do that.")
        case 403: ConveneError(.forbidden, "You are not allowed to do that.")
        case 404: ConveneError(.notFound, "There is nothing at this address.")
        case 405: ConveneError(.methodNotAllowed, "This address does not take that method.")
        case 413: ConveneError(.payloadTooLarge, "The body is too large.")
        case 415: ConveneError(.unsupportedMediaType, "Send the body as application/json.")
        case 429: ConveneError(.rateLimited, "Too many requests; wait and try again.")
        case 400..<500: ConveneError(.badRequest, "The request could not be served.")
        case 503: ConveneError(.unavailable, "The server is not ready; try again shortly.")
        default: ConveneError(.internalError, "Something went wrong on the server; it has been logged.")
        }
    }
}
