import Foundation
import PQ

/// How a resource is named in paths and in the audit log: a UUID (lower case) or a code.
package protocol ResourceIdentifier: Sendable {
    var text: String { get }
}

extension UUID: ResourceIdentifier {
    package var text: String { lowercasedString }
}

extension String: ResourceIdentifier {
    package var text: String { self }
}

/// A resource as the API answers it and as the audit log records it.
package protocol StoredResource: Encodable, Sendable, Audited {
    associatedtype ID: ResourceIdentifier
    /// The name of its table, which is its `resource_type` in the audit log and the change feed.
    static var auditType: String { get }
    /// Its collection, for `Location` headers: `/v1/units`.
    static var collectionPath: String { get }
    var id: ID { get }
    var etag: String { get }
    /// Its own URL, for `Location`: the collection path and the id unless it is nested.
    var location: String { get }
}

extension StoredResource {
    package var location: String { "\(Self.collectionPath)/\(id.text)" }
}

/// All the SQL of one resource. The kit's write path needs only these; each repository adds
/// its own lists, filters and statements.
package protocol ResourceRepository {
    associatedtype Resource: StoredResource
    /// How a 404 names it: "the unit".
    static var noun: String { get }
    static func find(_ id: Resource.ID, forUpdate: Bool, on connection: PQConnection) async throws -> Resource?
    /// The field a violated constraint is about, for a 422 that names it.
    static func explain(_ error: PQError) -> FieldError?
}

extension ResourceRepository {
    package static func explain(_ error: PQError) -> FieldError? { nil }

    /// Runs `body`, turning a violated constraint this repository knows into a 422 naming the field.
    package static func explaining<T>(_ body: () async throws -> T) async throws -> T {
        try await explainingConstraints(explain, body)
    }
}

/// Turns violations of named constraints into 422s that name the field.
package func explainingConstraints<T>(_ explain: (PQError) -> FieldError?, _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as PQError {
        if let field = explain(error) { throw Problem.validation([field]) }
        throw error
    }
}

extension Write {
    /// Records a change of `resource` in the audit log of this transaction.
    package func record<R: StoredResource>(_ action: String, before: R?, after: R?) async throws {
        let id = after?.id.text ?? before?.id.text ?? ""
        try await audit(AuditEntry(R.auditType, id: id, action: action, before: before, after: after))
    }

    /// Records the creation of `created`, whose representation `json` is already written.
    package func recordCreate<R: StoredResource>(_ created: R, json: Data) async throws {
        try await recordCreate(R.self, id: created.id.text, json: json)
    }

    /// Records the creation of the `R` with this id, whose representation `json` is already written.
    package func recordCreate<R: StoredResource>(_ type: R.Type, id: String, json: Data) async throws {
        try await audit(AuditEntry(R.auditType, id: id, action: "create", beforeJSON: nil, afterJSON: json))
    }

    /// A savepoint around `body`: what it wrote is undone when it throws, the transaction goes on.
    package func savepoint<T>(_ name: String = "row", _ body: () async throws -> T) async throws -> T {
        _ = try await connection.query("SAVEPOINT \(unescaped: name)")
        do {
            let value = try await body()
            _ = try await connection.query("RELEASE SAVEPOINT \(unescaped: name)")
            return value
        } catch {
            _ = try await connection.query("ROLLBACK TO SAVEPOINT \(unescaped: name)")
            throw error
        }
    }
}
