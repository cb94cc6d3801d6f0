import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// One field that failed validation: `field` is the JSON name (or query parameter), `message` says why.
public struct FieldError: Codable, Sendable, Equatable {
    public let field: String
    public let message: String
    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}

/// An RFC 9457 problem: every error ttdn answers with, as `application/problem+json`.
/// Details name the problem for the caller; they never carry SQL, stack traces or internals.
public struct Problem: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var slug: String
    public var title: String
    public var detail: String
    public var errors: [FieldError]
    public var headers: HTTPFields
    /// Extra members, such as `existing_id` on a duplicate.
    public var extensions: [String: String]

    public init(
        _ status: HTTPResponse.Status, slug: String, title: String, detail: String,
        errors: [FieldError] = [], headers: HTTPFields = [:], extensions: [String: String] = [:]
    ) {
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.extensions = extensions
    }

    public static func validation(_ errors: [FieldError], detail: String? = nil) -> Problem {
        Problem(
            .unprocessableContent, slug: "validation-failed", title: "The request has invalid fields",
            detail: detail ?? Problem.detail(listing: errors), errors: errors)
    }

    public static func badRequest(_ detail: String, errors: [FieldError] = []) -> Problem {
        Problem(.badRequest, slug: "bad-request", title: "The request is malformed", detail: detail, errors: errors)
    }

    public static func invalidQuery(_ errors: [FieldError]) -> Problem {
        Problem(
            .badRequest, slug: "invalid-query-parameter", title: "A query parameter is invalid",
            detail: Problem.detail(listing: errors), errors: errors)
    }

    public static func notFound(_ what: String) -> Problem {
        Problem(.notFound, slug: "not-found", title: "Not found", detail: "\(what) does not exist")
    }

    public static func conflict(
        _ detail: String, slug: String = "conflict", errors: [FieldError] = [],
        extensions: [String: String] = [:]
    ) -> Problem {
        Problem(
            .conflict, slug: slug, title: "The request conflicts with the current state", detail: detail,
            errors: errors, extensions: extensions)
    }

    public static func preconditionFailed() -> Problem {
        Problem(
            .preconditionFailed, slug: "precondition-failed", title: "The resource has changed",
            detail: "If-Match does not match the current ETag; fetch the resource again and retry")
    }

    public static func unavailable(_ detail: String, retryAfterSeconds: Int = 5) -> Problem {
        var headers = HTTPFields()
        headers[.retryAfter] = String(retryAfterSeconds)
        return Problem(
            .serviceUnavailable, slug: "service-unavailable", title: "Service unavailable",
            detail: detail, headers: headers)
    }

    public var typeURI: String { "urn:ttdn:problem:\(slug)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response(instance: request.uri.path)
    }

    /// The problem as `application/problem+json`, in the language the request asked for
    /// (`MessageCatalog.current`), with `Content-Language` saying which.
    public func response(instance: String? = nil) -> Response {
        let catalog = MessageCatalog.current
        let problem = catalog.map(translated(by:)) ?? self
        return problem.render(instance: instance, language: catalog?.language ?? "en")
    }

    private func render(instance: String?, language: String) -> Response {
        // Members in alphabetical order (JSONWriter writes a dictionary's keys sorted).
        var object: [String: JSONValueOutput] = [
            "type": .string(typeURI), "title": .string(title), "status": .int(Int64(status.code)), "detail": .string(detail),
        ]
        if let instance { object["instance"] = .string(instance) }
        if !errors.isEmpty {
            object["errors"] = .array(errors.map { .object(["field": .string($0.field), "message": .string($0.message)]) })
        }
        for (key, value) in extensions { object[key] = .string(value) }
        let data = (try? JSONWriter.encode(object)) ?? []
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        headers[.contentLanguage] = language
        headers[values: .vary].append("Accept-Language")
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
