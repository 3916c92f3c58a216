import Hummingbird
import NIOCore
import ConveneCore
import Foundation

enum JSON {
    /// snake_case keys, RFC 3339 times: the API's wire format.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// The value's JSON as a buffer.
    static func bytes(_ value: some Encodable) throws -> ByteBuffer {
        ByteBuffer(bytes: try encoder.encode(value))
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let data = try encoder.encode(value)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The request field a decoding error is about, in the API's snake_case.
    static func field(of path: [any CodingKey]) -> String? {
        let names = path.map { key in key.intValue.map { "[\($0)]" } ?? snakeCase(key.stringValue) }
        guard !names.isEmpty else { return nil }
        return names.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    static func snakeCase(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}

extension Request {
    /// Reads and decodes a JSON body: 413 over `limit`, 415 for another content type, 400 for malformed
    /// JSON, 422 naming the field for a missing or mistyped one.
    func decodeJSON<T: Decodable>(_ type: T.Type, limit: Int) async throws -> T {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit {
            throw ConveneError(.payloadTooLarge, "The body is larger than \(limit) bytes.")
        }
        if let contentType = headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            throw ConveneError(.unsupportedMediaType, "Send the body as application/json.")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw ConveneError(.payloadTooLarge, "The body is larger than \(limit) bytes.")
        }
        guard buffer.readableBytes > 0 else { throw ConveneError(.badRequest, "This request needs a JSON body.") }
        do {
            return try JSON.decoder.decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            switch error {
            case .keyNotFound(let key, let context):
                let field = JSON.field(of: context.codingPath + [key]) ?? key.stringValue
                throw ConveneError.invalid(field, "\(field) is required.")
            case .typeMismatch(let expected, let context):
                let field = JSON.field(of: context.codingPath) ?? "body"
                throw ConveneError.invalid(field, "\(field) must be \(JSON.describe(expected)).")
            case .valueNotFound(let expected, let context):
                let field = JSON.field(of: context.codingPath) ?? "body"
                throw ConveneError.invalid(field, "\(field) must be \(JSON.describe(expected)), not null.")
            case .dataCorrupted(let context):
                if let field = JSON.field(of: context.codingPath) {
                    throw ConveneError.invalid(field, "\(field) has an invalid value.")
                }
                throw ConveneError(.badRequest, "The body is not valid JSON.")
            @unknown default:
                throw ConveneError(.badRequest, "The body is not valid JSON.")
            }
        }
    }

    /// A path parameter that must be a positive integer id; 404 otherwise (no such resource can exist).
    func id(_ name: String, context: AppRequestContext, what: String) throws -> Int64 {
        guard let raw = context.parameters.get(name), let id = Int64(raw), id > 0 else { throw ConveneError.notFound(what) }
        return id
    }
}

extension JSON {
    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Bool.Type: "true or false"
        case is Double.Type: "a number"
        default: "of the documented type"
        }
    }
}
