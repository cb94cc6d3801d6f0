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
    /// The regime that generated it (`plan`, `decree_09`); nil for a period made by hand.
    public var regime: String?
    /// Set once the office has consolidated the period: its reports no longer change.
    public var closedAt: Date?
    public var closedComment: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    package static let auditType = "report_periods"
    package static let collectionPath = "/v1/report-periods"
    public var etag: String { Conditional.etag(version: version) }

    static let columns = PQQuery(
        unescaped:
            "p.id, p.kind, p.year, p.title, p.starts_on, p.ends_on, p.due_on, p.regime, p.closed_at, p.closed_comment, p.created_at, p.updated_at, p.version"
    )

    init(row: PQRow) throws {
        id = try row.decode("id")
        kind = try row.decode("kind")
        year = try row.decode("year")
        title = try row.decode("title")
        startsOn = try row.decode("starts_on")
        endsOn = try row.decode("ends_on")
        dueOn = try row.decode("due_on")
        regime = try row.decode("regime")
        closedAt = try row.decode("closed_at")
        closedComment = try row.decode("closed_comment")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }

    var isClosed: Bool { closedAt != nil }

    /// 409 when the period is closed: none of its reports may change until an admin reopens it.
    func requireOpen() throws {
        guard !isClosed else {
            throw Problem.conflict("the report period \(id) is closed; an admin must reopen it first", slug: "period-closed")
        }
    }

    /// A report is due after its data ends, and a window does not end before it starts.
    static func checkWindow(startsOn: CalendarDate, endsOn: CalendarDate, dueOn: CalendarDate) throws {
        var errors: [FieldError] = []
        if endsOn < startsOn { errors.append(FieldError("ends_on", "must be on or after starts_on")) }
        if dueOn <= endsOn {
            errors.append(FieldError("due_on", "must be after ends_on (\(endsOn)): a report is due after its data window ends"))
            errors.append(FieldError("ends_on", "must be before due_on (\(dueOn))"))
        }
        if !errors.isEmpty { throw Problem.validation(errors) }
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

/// A reporting regime: how a year is cut into periods, as data (`report_regime_periods`).
/// Month offsets count from January of the period's year (-2 is November of the year before);
/// `end_day` 0 is the last day of its month.
public struct ReportRegime: Encodable, Sendable {
    public struct Template: Encodable, Sendable {
        public var suffix: String
        public var kind: PeriodKind
        public var title: String
        public var startMonthOffset: Int
        public var startDay: Int
        public var endMonthOffset: Int
        public var endDay: Int
        public var dueMonthOffset: Int
        public var dueDay: Int

        init(row: PQRow) throws {
            suffix = try row.decode("suffix")
            kind = try row.decode("kind")
            title = try row.decode("title")
            startMonthOffset = try row.decode("start_month_offset")
            startDay = try row.decode("start_day")
            endMonthOffset = try row.decode("end_month_offset")
            endDay = try row.decode("end_day")
            dueMonthOffset = try row.decode("due_month_offset")
            dueDay = try row.decode("due_day")
        }
    }

    public var code: String
    public var name: String
    public var isDefault: Bool
    public var periods: [Template]
}
