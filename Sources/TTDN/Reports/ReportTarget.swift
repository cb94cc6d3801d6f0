import Foundation
import PQ
import TTDNKit

/// A yearly target for an indicator, set for one unit or for every unit of a kind; a unit's own
/// target wins over its kind's. The report summary shows actual against target.
public struct ReportTarget: Encodable, Sendable, StoredResource {
    public var id: UUID
    public var year: Int
    public var indicatorCode: String
    public var unitId: UUID?
    public var unitKind: UnitKind?
    public var target: Double
    public var note: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    package static let auditType = "report_targets"
    package static let collectionPath = "/v1/report-targets"
    public var etag: String { Conditional.etag(version: version) }

    static let columns = PQQuery(
        unescaped: "t.id, t.year, t.indicator_code, t.unit_id, t.unit_kind, t.target::float8 AS target, t.note, t.created_at, t.updated_at, t.version"
    )

    init(row: PQRow) throws {
        id = try row.decode("id")
        year = try row.decode("year")
        indicatorCode = try row.decode("indicator_code")
        unitId = try row.decode("unit_id")
        unitKind = try row.decode("unit_kind")
        target = try row.decode("target")
        note = try row.decode("note")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }
}

/// The writable fields of a target. Year, indicator and subject name what it is a target of,
/// so only the number and the note change afterwards.
struct ReportTargetFields: ResourceInput {
    static let requiredOnCreate = ["year", "indicator_code", "target"]

    var year: Field<Int> = .absent
    var indicatorCode: Field<String> = .absent
    var unitID: Field<UUID> = .absent
    var unitKind: Field<UnitKind> = .absent
    var target: Field<String> = .absent
    var note: Field<String> = .absent

    init(reading reader: inout InputReader) {
        year = reader.integer("year", range: 2000...2100)
        indicatorCode = reader.string("indicator_code", maxLength: 64)
        unitID = reader.uuid("unit_id")
        unitKind = reader.enumeration("unit_kind", UnitKind.self)
        target = reader.decimal("target", maximum: 1_000_000_000_000)
        note = reader.string("note", maxLength: 2000)
        reader.notNull("target", target)
    }

    /// A create names exactly one of `unit_id` and `unit_kind`.
    static func requireOneSubject(_ fields: ReportTargetFields) throws {
        if fields.unitID.value == nil, fields.unitKind.value == nil {
            throw Problem.validation([FieldError("unit_id", "name either unit_id or unit_kind: whose target it is")])
        }
        if fields.unitID.value != nil, fields.unitKind.value != nil {
            throw Problem.validation([FieldError("unit_kind", "name only one of unit_id and unit_kind")])
        }
    }

    /// What identifies a target does not change: make a new one instead.
    static func refuseIdentityChange(_ fields: ReportTargetFields) throws {
        let named = [
            ("year", fields.year.isAbsent), ("indicator_code", fields.indicatorCode.isAbsent), ("unit_id", fields.unitID.isAbsent),
            ("unit_kind", fields.unitKind.isAbsent),
        ].filter { !$0.1 }.map(\.0)
        if !named.isEmpty {
            throw Problem.validation(named.map { FieldError($0, "cannot change: delete the target and create another") })
        }
    }
}
