import Foundation
import PQ

/// A resource that other records hang on (evidence files, comment threads), as those records
/// need to know it: where it lives, the column that points to it, and its access rules. The
/// parent's own routes declare it, so the records on it follow the same rules as the parent
/// itself without knowing its type.
package struct ParentResource: Sendable {
    /// Its collection path (`/v1/activities`); records on it live at `<path>/{id}/...`.
    package let path: String
    /// The column of the records' tables that points to it (`activity_id`).
    package let column: String
    /// How a 404 names it: "the activity".
    package let noun: String
    /// The unit the parent is of, when `caller` may see it; nil when it does not exist or is
    /// hidden from the caller (both answer 404).
    package let visibleUnit: @Sendable (_ id: UUID, _ caller: Principal, _ connection: PQConnection) async throws -> UUID??
    /// Throws the 403 (or 409) of a caller who may not add to it or change what is on it.
    package let requireWritable: @Sendable (_ id: UUID, _ unit: UUID?, _ caller: Principal, _ connection: PQConnection) async throws -> Void

    package init(
        path: String, column: String, noun: String,
        visibleUnit: @escaping @Sendable (UUID, Principal, PQConnection) async throws -> UUID??,
        requireWritable: @escaping @Sendable (UUID, UUID?, Principal, PQConnection) async throws -> Void
    ) {
        self.path = path
        self.column = column
        self.noun = noun
        self.visibleUnit = visibleUnit
        self.requireWritable = requireWritable
    }

    /// The parent's unit, or a 404 when the caller may not see it: naming the parent, or `record`
    /// (the attachment or comment asked for, whose parent the caller must not learn of).
    package func requireVisible(
        _ id: UUID, to caller: Principal, on connection: PQConnection, as record: String? = nil
    ) async throws
        -> UUID?
    {
        guard let unit = try await visibleUnit(id, caller, connection) else { throw Problem.notFound(record ?? noun) }
        return unit
    }

    /// The rule most parents share: admins write anything; an editor writes what belongs to its
    /// own unit or a unit below it; viewers write nothing.
    package static func requireOwnUnit(_ unit: UUID?, caller: Principal, what: String, on connection: PQConnection) async throws {
        guard !caller.isAdmin else { return }
        try caller.requireWriter(what)
        guard let own = caller.unitID, let unit, try await Scope.unit(unit, isWithin: own, on: connection) else {
            throw Problem.forbidden("an editor may \(what) of its own unit only")
        }
    }
}
