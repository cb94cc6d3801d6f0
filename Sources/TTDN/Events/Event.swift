import Foundation
import PQ
import TTDNKit

public enum EventKind: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable { case commemoration, campaign, festival, conference }
public enum Recurrence: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable { case yearly, once }

/// A calendar event: yearly on a date (or a date range), or once.
public struct Event: Codable, Sendable, StoredResource {
    public var id: UUID
    public var code: String?
    public var title: String
    public var kind: EventKind
    public var recurrence: Recurrence
    public var month: Int?
    public var day: Int?
    public var endMonth: Int?
    public var endDay: Int?
    public var startsOn: CalendarDate?
    public var endsOn: CalendarDate?
    public var foundingYear: Int?
    public var description: String?
    public var organiserUnitId: UUID?
    public var planTaskIds: [UUID]
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    package static let auditType = "events"
    package static let collectionPath = "/v1/events"
    public var etag: String { Conditional.etag(version: version) }

    /// The columns of an event, once: the SELECT list (`e.` is the table alias). Computed ones
    /// are the expression they are read from.
    static let columnNames = [
        "id", "code", "title", "kind", "recurrence", "month", "day", "end_month", "end_day", "starts_on",
        "ends_on", "founding_year", "description", "organiser_unit_id", "plan_task_ids",
        "created_at", "updated_at", "version",
    ]
    static let computedColumns = [
        "plan_task_ids": "coalesce((SELECT array_agg(et.task_id ORDER BY et.task_id) FROM event_tasks et WHERE et.event_id = e.id), '{}')"
    ]
    static let columns = PQQuery(
        unescaped: columnNames.map { name in
            computedColumns[name].map { "\($0) AS \(name)" } ?? "e.\(name)"
        }.joined(separator: ", "))

    init(row: PQRow) throws {
        id = try row.decode("id")
        code = try row.decode("code")
        title = try row.decode("title")
        kind = try row.decode("kind")
        recurrence = try row.decode("recurrence")
        month = try row.decode("month")
        day = try row.decode("day")
        endMonth = try row.decode("end_month")
        endDay = try row.decode("end_day")
        startsOn = try row.decode("starts_on")
        endsOn = try row.decode("ends_on")
        foundingYear = try row.decode("founding_year")
        description = try row.decode("description")
        organiserUnitId = try row.decode("organiser_unit_id")
        planTaskIds = try row.decode("plan_task_ids")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }

    /// The dated occurrences of this event that overlap `from...to`.
    func occurrences(from: CalendarDate, to: CalendarDate) -> [Occurrence] {
        var out: [Occurrence] = []
        switch recurrence {
        case .once:
            guard let start = startsOn else { return [] }
            let end = endsOn ?? start
            if start <= to, end >= from { out.append(occurrence(start, endsOn, year: start.year)) }
        case .yearly:
            guard let month, let day else { return [] }
            for year in max(1, from.year - 1)...min(9998, to.year) {
                let start = Event.date(year, month, day)
                var end: CalendarDate?
                if let endMonth, let endDay {
                    // A range that wraps the new year ends in the next year.
                    let wraps = (endMonth, endDay) < (month, day)
                    end = Event.date(wraps ? year + 1 : year, endMonth, endDay)
                }
                if start <= to, (end ?? start) >= from { out.append(occurrence(start, end, year: year)) }
            }
        }
        return out
    }

    private func occurrence(_ date: CalendarDate, _ end: CalendarDate?, year: Int) -> Occurrence {
        let anniversary = foundingYear.map { year - $0 }.flatMap { $0 > 0 ? $0 : nil }
        return Occurrence(
            eventId: id, code: code, title: title, kind: kind, date: date, endDate: end,
            anniversary: anniversary, organiserUnitId: organiserUnitId)
    }

    /// 29 February falls on 28 February in common years.
    static func date(_ year: Int, _ month: Int, _ day: Int) -> CalendarDate {
        CalendarDate(year: year, month: month, day: min(day, CalendarDate.daysIn(month: month, year: year)))!
    }
}

/// One dated occurrence of an event.
public struct Occurrence: Codable, Sendable {
    public var eventId: UUID
    public var code: String?
    public var title: String
    public var kind: EventKind
    public var date: CalendarDate
    public var endDate: CalendarDate?
    /// Years since the founding event (93 for 3/2 in 2023), or null.
    public var anniversary: Int?
    public var organiserUnitId: UUID?

    /// The occurrences of `events` that overlap `from...to`, by date, then title.
    static func of(_ events: [Event], from: CalendarDate, to: CalendarDate) -> [Occurrence] {
        events.flatMap { $0.occurrences(from: from, to: to) }
            .sorted { ($0.date, $0.title, $0.eventId.text) < ($1.date, $1.title, $1.eventId.text) }
    }

    /// The CSV of occurrences: its own column order.
    static let csvHeader = ["date", "end_date", "title", "kind", "anniversary", "event_id", "code", "organiser_unit_id"]
    /// In the order of `csvHeader`.
    var csvRow: [String?] {
        [
            date.description, endDate?.description, title, kind.rawValue, anniversary.map(String.init), eventId.text, code,
            organiserUnitId?.text,
        ]
    }
}

/// The writable fields of an event, as read from a create body or a merge patch.
struct EventFields: Sendable, ResourceInput {
    static let requiredOnCreate = ["title", "kind", "recurrence"]

    var code: Field<String> = .absent
    var title: Field<String> = .absent
    var kind: Field<EventKind> = .absent
    var recurrence: Field<Recurrence> = .absent
    var month: Field<Int> = .absent
    var day: Field<Int> = .absent
    var endMonth: Field<Int> = .absent
    var endDay: Field<Int> = .absent
    var startsOn: Field<CalendarDate> = .absent
    var endsOn: Field<CalendarDate> = .absent
    var foundingYear: Field<Int> = .absent
    var description: Field<String> = .absent
    var organiserUnitID: Field<UUID> = .absent
    var planTaskIDs: Field<[UUID]> = .absent

    init(reading reader: inout InputReader) {
        code = reader.string("code", maxLength: 64)
        if let value = code.value, value.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", options: .regularExpression) == nil {
            reader.fail("code", "must be 1 to 64 letters, digits, '.', '_' or '-'")
        }
        title = reader.string("title", maxLength: 300)
        kind = reader.enumeration("kind", EventKind.self)
        recurrence = reader.enumeration("recurrence", Recurrence.self)
        month = reader.integer("month", range: 1...12)
        day = reader.integer("day", range: 1...31)
        endMonth = reader.integer("end_month", range: 1...12)
        endDay = reader.integer("end_day", range: 1...31)
        startsOn = reader.date("starts_on")
        endsOn = reader.date("ends_on")
        foundingYear = reader.integer("founding_year", range: 1...9999)
        description = reader.string("description", maxLength: 5000)
        organiserUnitID = reader.uuid("organiser_unit_id")
        planTaskIDs = reader.uuids("plan_task_ids")
        for (key, isNull) in [("title", title.isNull), ("kind", kind.isNull), ("recurrence", recurrence.isNull)] where isNull {
            reader.fail(key, "must not be null")
        }
    }
}
