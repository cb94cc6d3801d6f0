import Foundation
import PQ
import TTDNKit

/// How `GET /v1/aggregates/activities` groups activities.
enum ActivityDimension: String, CaseIterable, Sendable {
    case kind, task, theme, unit, month
}

/// One group of activities: how many, what they stand for, and their reach abroad.
/// `items` sums `item_count` (articles, people, press releases); `international` counts
/// cooperation or any country other than Viet Nam, as the report indicators do
/// (`activity_facts` in the migrations is the one definition of both).
struct ActivityGroup: Encodable, Sendable {
    var key: String?
    var label: String?
    var activities: Int
    var items: Int
    var participants: Int
    var international: Int
    var withLaos: Int
    var withCambodia: Int

    init(row: PQRow) throws {
        key = try row.decode("key")
        label = try row.decode("label")
        activities = try row.decode("activities")
        items = try row.decode("items")
        participants = try row.decode("participants")
        international = try row.decode("international")
        withLaos = try row.decode("with_laos")
        withCambodia = try row.decode("with_cambodia")
    }

    /// The CSV of groups: the same columns as the JSON, in this order.
    static let csvHeader = ["key", "label", "activities", "items", "participants", "international", "with_laos", "with_cambodia"]
    var csvRow: [String?] {
        [key, label] + [activities, items, participants, international, withLaos, withCambodia].map(String.init)
    }
}

/// The answer of `GET /v1/aggregates/activities`: the groups of one year's activities that had
/// started by `as_of`, and their total (an activity serving two tasks is in both task groups,
/// once in the total).
struct ActivityAggregate: Encodable, Sendable {
    var year: Int
    var asOf: CalendarDate
    var groupBy: String
    var unitId: UUID?
    var groups: [ActivityGroup]
    var total: ActivityGroup
}

extension ActivityRepository {
    /// The groups of activities of `unit` (and the units below it; all when nil) that started
    /// from `from` to `to` (inclusive), and their total.
    static func aggregate(
        by dimension: ActivityDimension, from: CalendarDate, to: CalendarDate, unit: UUID?, on connection: PQConnection
    ) async throws -> (groups: [ActivityGroup], total: ActivityGroup) {
        let grouping: PQQuery
        switch dimension {
        case .kind:
            grouping = "SELECT f.kind::text AS key, NULL::text AS label, f.* FROM f"
        case .month:
            grouping = "SELECT to_char(f.starts_on, 'YYYY-MM') AS key, NULL::text AS label, f.* FROM f"
        case .unit:
            grouping = "SELECT u.code::text AS key, u.name::text AS label, f.* FROM f JOIN units u ON u.id = f.unit_id"
        case .theme:
            grouping = """
                SELECT p.code::text AS key, p.title::text AS label, f.* FROM f LEFT JOIN plan_tasks p ON p.id = f.theme_task_id
                """
        case .task:
            grouping = """
                SELECT p.code::text AS key, p.title::text AS label, f.* FROM f
                LEFT JOIN activity_tasks t ON t.activity_id = f.id LEFT JOIN plan_tasks p ON p.id = t.task_id
                """
        }
        let scope: PQQuery = unit.map { "AND unit_id IN (SELECT ttdn_unit_subtree(\($0)))" } ?? ""
        let counts: PQQuery = """
            count(*)::bigint AS activities, coalesce(sum(item_count), 0)::bigint AS items,
            coalesce(sum(participants), 0)::bigint AS participants,
            count(*) FILTER (WHERE international)::bigint AS international,
            count(*) FILTER (WHERE international AND with_laos)::bigint AS with_laos,
            count(*) FILTER (WHERE international AND with_cambodia)::bigint AS with_cambodia
            """
        let rows = try await connection.query(
            """
            WITH f AS (SELECT * FROM activity_facts WHERE starts_on BETWEEN \(from)::date AND \(to)::date \(scope)),
                 g AS (\(grouping))
            SELECT key, label, \(counts), false AS is_total FROM g GROUP BY key, label
            UNION ALL
            SELECT NULL, NULL, \(counts), true FROM f
            ORDER BY is_total, key NULLS LAST
            """)
        var groups: [ActivityGroup] = []
        var total: ActivityGroup?
        for row in rows {
            if try row.decode("is_total", as: Bool.self) { total = try ActivityGroup(row: row) } else { groups.append(try ActivityGroup(row: row)) }
        }
        return (groups, total!)
    }
}
