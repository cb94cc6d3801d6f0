import Foundation
import HTTPTypes
import PQ

public enum Role: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable {
    case admin, editor, viewer
}

/// Who is calling: the token's id, role and, for editors and scoped viewers, its unit.
public struct Principal: Sendable {
    public let tokenID: UUID
    public let publicID: String
    public let role: Role
    public let unitID: UUID?
    public let name: String

    public init(tokenID: UUID, publicID: String, role: Role, unitID: UUID?, name: String) {
        self.tokenID = tokenID
        self.publicID = publicID
        self.role = role
        self.unitID = unitID
        self.name = name
    }

    public var isAdmin: Bool { role == .admin }

    public func requireAdmin(_ action: String) throws {
        guard role == .admin else { throw Problem.forbidden("only an admin token may \(action)") }
    }

    public func requireWriter(_ action: String) throws {
        guard role != .viewer else { throw Problem.forbidden("a viewer token is read-only; it may not \(action)") }
    }
}

extension Problem {
    /// 401 with the RFC 6750 challenge: no `error` when no credentials were sent,
    /// `invalid_request` for a malformed Authorization header, `invalid_token` otherwise.
    public static func unauthorized(_ detail: String, error: String? = "invalid_token") -> Problem {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = error.map { "Bearer realm=\"ttdn\", error=\"\($0)\"" } ?? "Bearer realm=\"ttdn\""
        return Problem(.unauthorized, slug: "unauthorized", title: "Authentication required", detail: detail, headers: headers)
    }

    public static func forbidden(_ detail: String) -> Problem {
        Problem(.forbidden, slug: "forbidden", title: "Not allowed", detail: detail)
    }
}
