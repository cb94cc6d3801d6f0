import Foundation
import PQ
import TTDNKit

public enum PeriodKind: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable { case quarterly, semiannual, annual, adHoc = "ad_hoc" }

/// A reporting period: its data window and the day reports are due.
public struct ReportPeriod: Codable, Sendable, StoredResource {
    public var id: String
    public var kind: PeriodKind
    public var year: Int
    public var title: String
    public var startsOn: CalendarDate
    public var endsOn: CalendarDate
    public var dueOn: CalendarDate
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    package static let auditType = "report_periods"
    package static let collectionPath = "/v1/report-periods"
    public var etag: String { Conditional.etag(version: version) }

    static let columns = PQQuery(unescaped: "p.id, p.kind, p.year, p.title, p.starts_on, p.ends_on, p.due_on, p.created_at, p.updated_at, p.version")

    init(row: PQRow) throws {
        id = try row.decode("id")
        kind = try row.decode("kind")
        year = try row.decode("year")
        title = try row.decode("title")
        startsOn = try row.decode("starts_on")
        endsOn = try row.decode("ends_on")
        dueOn = try row.decode("due_on")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }

    /// `YEAR-NAME`: 2023-Q1, 2023-H1, 2023-Y, 2023-TET.
    static func isValidID(_ id: String) -> Bool { id.range(of: "^[0-9]{4}-[A-Za-z0-9-]{1,20}$", options: .regularExpression) != nil }
}

/// What a create or merge patch of a period may carry.
struct ReportPeriodFields {
    var id: Field<String> = .absent, kind: Field<PeriodKind> = .absent, title: Field<String> = .absent
    var startsOn: Field<CalendarDate> = .absent, endsOn: Field<CalendarDate> = .absent, dueOn: Field<CalendarDate> = .absent

    init(_ reader: inout InputReader, creating: Bool) {
        if creating {
            id = reader.string("id", maxLength: 25)
            if let v = id.value, !ReportPeriod.isValidID(v) {
                reader.fail("id", "must be YEAR-NAME, e.g. 2023-Q1, 2023-H1, 2023-Y or 2023-TET")
            }
        }
        kind = reader.enumeration("kind", PeriodKind.self)
        title = reader.string("title", maxLength: 200)
        startsOn = reader.date("starts_on")
        endsOn = reader.date("ends_on")
        dueOn = reader.date("due_on")
        for (key, isNull) in [
            ("kind", kind.isNull), ("title", title.isNull), ("starts_on", startsOn.isNull),
            ("ends_on", endsOn.isNull), ("due_on", dueOn.isNull),
        ] where isNull {
            reader.fail(key, "must not be null")
        }
        if creating {
            for (key, absent) in [
                ("id", id.isAbsent), ("kind", kind.isAbsent), ("title", title.isAbsent), ("starts_on", startsOn.isAbsent),
                ("ends_on", endsOn.isAbsent), ("due_on", dueOn.isAbsent),
            ] where absent {
                if !reader.errors.contains(where: { $0.field == key }) { reader.fail(key, "is required") }
            }
        }
    }
}
