/// The one error type of the domain: a `Code` the API maps to a status and a `code` string,
/// a human sentence, and optionally the request field at fault.
public struct ConveneError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The machine-readable `code` of the error body.
        public let name: String
        /// The HTTP status the code maps to.
        public let status: Int

        public static let badRequest = Code(name: "bad_request", status: 400)
        public static let validationFailed = Code(name: "validation_failed", status: 422)
        public static let unauthenticated = Code(name: "unauthenticated", status: 401)
        public static let forbidden = Code(name: "forbidden", status: 403)
        public static let notFound = Code(name: "not_found", status: 404)
        public static let methodNotAllowed = Code(name: "method_not_allowed", status: 405)
        public static let conflict = Code(name: "conflict", status: 409)
        public static let payloadTooLarge = Code(name: "payload_too_large", status: 413)
        public static let unsupportedMediaType = Code(name: "unsupported_media_type", status: 415)
        /// A silenced member tried to write.
        public static let silenced = Code(name: "silenced", status: 403)
        /// A suspended member tried anything.
        public static let suspended = Code(name: "suspended", status: 403)
        public static let rateLimited = Code(name: "rate_limited", status: 429)
        public static let internalError = Code(name: "internal_error", status: 500)
        public static let unavailable = Code(name: "unavailable", status: 503)

        public var description: String { name }
    }

    public var code: Code
    public var message: String
    public var field: String?
    /// Seconds a client should wait before retrying; set with `rateLimited`.
    public var retryAfter: Int?

    /// - Parameters:
    ///   - code: what kind of failure this is.
    ///   - message: a sentence for a person.
    ///   - field: the request field at fault, in the API's snake_case.
    ///   - retryAfter: seconds before a retry may succeed.
    public init(_ code: Code, _ message: String, field: String? = nil, retryAfter: Int? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code.name): \(message)" + (field.map { " (\($0))" } ?? "") }

    public static func invalid(_ field: String, _ message: String) -> ConveneError {
        ConveneError(.validationFailed, message, field: field)
    }

    public static func notFound(_ what: String) -> ConveneError {
        ConveneError(.notFound, "\(what) was not found.")
    }

    public static func forbidden(_ message: String = "You are not allowed to do that here.") -> ConveneError {
        ConveneError(.forbidden, message)
    }
}
