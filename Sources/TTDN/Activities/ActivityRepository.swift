import Foundation
import PQ
import TTDNKit

/// Filters of `GET /v1/activities`.
struct ActivityFilter: Sendable {
    var kind: ActivityKind?
    /// A plan task the activity serves, or the content theme it serves.
    var taskID: UUID?
    /// The unit and every unit below it.
    var unitID: UUID?
    var country: String?
    /// Activities under way in the window (inclusive days).
    var from: CalendarDate?
    var to: CalendarDate?
    var q: String?
}

/// All the SQL of activities and their links to plan tasks (the aggregates are in
/// `ActivityRepository+Aggregates.swift`).
enum ActivityRepository: DeletableRepository {
    static let noun = "the activity"

    static func find(_ id: UUID, forUpdate: Bool = false, on connection: PQConnection) async throws -> Activity? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        let rows = try await connection.query("SELECT \(Activity.columns) FROM activities a WHERE a.id = \(id)\(lock)")
        return try rows.first.map(Activity.init(row:))
    }

    /// The unit an activity is of, for the rules of what hangs on it (attachments, comments).
    static func unit(of id: UUID, on connection: PQConnection) async throws -> UUID? {
        try await connection.query("SELECT unit_id FROM activities WHERE id = \(id)").first?.decode("unit_id")
    }

    /// Latest first.
    static func list(_ f: ActivityFilter, after cursor: [String]?, limit: Int, on connection: PQConnection) async throws -> ([Activity], [String]?) {
        var conditions: [PQQuery] = ["true"]
        if let v = f.kind { conditions.append("a.kind = \(v)::activity_kind") }
        if let v = f.taskID {
            conditions.append("(a.theme_task_id = \(v) OR EXISTS (SELECT 1 FROM activity_tasks t WHERE t.activity_id = a.id AND t.task_id = \(v)))")
        }
        if let v = f.unitID { conditions.append("a.unit_id IN (SELECT ttdn_unit_subtree(\(v)))") }
        if let v = f.country { conditions.append("a.countries @> ARRAY[\(v)]::text[]") }
        if let v = f.from { conditions.append("coalesce(a.ends_on, a.starts_on) >= \(v)::date") }
        if let v = f.to { conditions.append("a.starts_on <= \(v)::date") }
        if let v = f.q { conditions.append("a.search @@ ttdn_search_query(\(v))") }
        if let cursor, cursor.count == 2, let day = CalendarDate(cursor[0]), let id = UUID(uuidString: cursor[1]) {
            conditions.append("(a.starts_on, a.id) < (\(day)::date, \(id))")
        }
        let activities = try await connection.query(
            """
            SELECT \(Activity.columns) FROM activities a WHERE \(PQQuery.joined(conditions, separator: " AND "))
            ORDER BY a.starts_on DESC, a.id DESC LIMIT \(limit + 1)
            """
        ).map(Activity.init(row:))
        return Pagination.cut(activities, limit: limit) { [$0.startsOn.description, $0.id.text] }
    }

    static func insert(_ f: ActivityFields, unit: UUID, recordedBy: UUID?, on connection: PQConnection) async throws -> Activity {
        let id: UUID = try await connection.query(
            """
            INSERT INTO activities (unit_id, kind, title, description, starts_on, ends_on, theme_task_id, countries,
                                    item_count, participants, audience, links, recorded_by)
            VALUES (\(unit), \(f.kind.value)::activity_kind, \(f.title.value), \(f.description.value), \(f.startsOn.value),
                    \(f.endsOn.value), \(f.themeTaskID.value), \(f.countries.value ?? []), \(f.itemCount.value ?? 1),
                    \(f.participants.value), \(f.audience.value), \(f.links.value ?? [])::nfc_text[], \(recordedBy))
            RETURNING id
            """)[0].decode("id")
        try await replaceTasks(of: id, with: f.planTaskIDs, on: connection)
        return try await find(id, on: connection)!
    }

    /// Applies a merge patch to `current`; absent fields stay, null clears.
    static func update(_ current: Activity, with f: ActivityFields, on connection: PQConnection) async throws -> Activity {
        _ = try await connection.query(
            """
            UPDATE activities a SET unit_id = \(f.unitID.merged(into: current.unitId)),
                kind = \(f.kind.merged(into: current.kind))::activity_kind, title = \(f.title.merged(into: current.title)),
                description = \(f.description.merged(into: current.description)),
                starts_on = \(f.startsOn.merged(into: current.startsOn)), ends_on = \(f.endsOn.merged(into: current.endsOn)),
                theme_task_id = \(f.themeTaskID.merged(into: current.themeTaskId)),
                countries = \(f.countries.merged(into: current.countries) ?? []),
                item_count = \(f.itemCount.merged(into: current.itemCount)),
                participants = \(f.participants.merged(into: current.participants)),
                audience = \(f.audience.merged(into: current.audience)),
                links = \(f.links.merged(into: current.links) ?? [])::nfc_text[],
                updated_at = now(), version = a.version + 1
            WHERE a.id = \(current.id)
            """)
        try await replaceTasks(of: current.id, with: f.planTaskIDs, on: connection)
        return try await find(current.id, on: connection)!
    }

    /// The plan tasks an activity serves: kept when absent, none when null.
    private static func replaceTasks(of id: UUID, with tasks: Field<[UUID]>, on connection: PQConnection) async throws {
        guard !tasks.isAbsent else { return }
        _ = try await connection.query("DELETE FROM activity_tasks WHERE activity_id = \(id)")
        _ = try await connection.query("INSERT INTO activity_tasks (activity_id, task_id) SELECT \(id), unnest(\(tasks.value ?? []))")
    }

    static func delete(_ id: UUID, on connection: PQConnection) async throws {
        _ = try await connection.query("DELETE FROM activities WHERE id = \(id)")
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "activities_unit_fkey": return FieldError("unit_id", "does not name an existing unit")
        case "activities_theme_fkey": return FieldError("theme_task_id", "does not name an existing plan task")
        case "activities_theme_category": return FieldError("theme_task_id", "must name a content-theme task of the plan (II.2.x)")
        case "activities_dates": return FieldError("ends_on", "must be on or after starts_on")
        case "activity_tasks_task_fkey": return FieldError("plan_task_ids", "every id must name an existing plan task")
        default: return nil
        }
    }
}
