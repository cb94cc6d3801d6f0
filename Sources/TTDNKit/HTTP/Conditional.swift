import Foundation
import HTTPTypes
import Hummingbird

/// Strong ETags from a row's version, `If-None-Match` → 304, `If-Match` → 412.
public enum Conditional {
    public static func etag(version: Int) -> String { "\"v\(version)\"" }

    /// A validator that changes with the stored version and with members derived at read time
    /// (a roll-up of other rows, a class judged on `as_of`), so a revalidating cache never keeps
    /// a stale derived value.
    public static func etag(version: Int, derived: [String]) -> String { "\"v\(version)-\(derived.joined(separator: "-"))\"" }

    /// The tags listed in a conditional header; nil when absent, ["*"] for a wildcard.
    package static func tags(_ header: String?) -> [String]? {
        guard let header else { return nil }
        return header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// True when the client's cached copy is current (answer 304).
    public static func notModified(_ request: Request, etag: String) -> Bool {
        guard let tags = tags(request.headers[.ifNoneMatch]) else { return false }
        // Weak comparison for If-None-Match (RFC 9110 13.1.2).
        return tags.contains("*") || tags.contains { $0 == etag || $0 == "W/" + etag }
    }

    /// Throws 412 unless `If-Match` is absent or names the current tag (strong comparison).
    public static func checkIfMatch(_ request: Request, etag: String) throws {
        guard let tags = tags(request.headers[.ifMatch]) else { return }
        guard tags.contains("*") || tags.contains(etag) else { throw Problem.preconditionFailed() }
    }

    public static func notModifiedResponse(etag: String) -> Response {
        var headers = HTTPFields()
        headers[.eTag] = etag
        return Response(status: .notModified, headers: headers)
    }
}

extension Conditional {
    /// A single resource with its ETag, or 304 when the client's copy is current.
    public static func resource<T: Encodable>(
        _ value: T, etag: String, request: Request,
        status: HTTPResponse.Status = .ok
    ) throws -> Response {
        if request.method == .get || request.method == .head, notModified(request, etag: etag) { return notModifiedResponse(etag: etag) }
        return try JSONOutput.response(value, status: status, headers: [.eTag: etag])
    }
}

/// The `{id}` of a path as a UUID; anything else names no resource (404).
public func pathID(_ context: AppRequestContext, _ name: String = "id", what: String) throws -> UUID {
    guard let raw = context.parameters.get(name), let id = UUID(text: raw) else {
        throw Problem.notFound(what)
    }
    return id
}
