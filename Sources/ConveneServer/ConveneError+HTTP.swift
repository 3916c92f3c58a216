public import Hummingbird
public import ConveneCore
import Foundation

/// The body of every error response: `{"error": {"code", "message", "field"}}`.
struct ErrorBody: Encodable {
    struct Detail: Encodable {
        var code: String
        var message: String
        var field: String?
    }
    var error: Detail
}

extension ConveneError: HTTPResponseError {
    public var status: HTTPResponse.Status { .init(code: code.status) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        let body = try JSON.encoder.encode(ErrorBody(error: .init(code: code.name, message: message, field: field)))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
