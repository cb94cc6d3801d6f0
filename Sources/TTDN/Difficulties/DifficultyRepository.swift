import Foundation
import PQ
import TTDNKit

/// Filters of `GET /v1/difficulties`.
struct DifficultyFilter: Sendable {
    var status: DifficultyStatus?
    /// The unit and the units below it.
    var unitID: UUID?
    var taskID: UUID?
    /// Only the difficulties of this unit's subtree (a token bound to a unit); nil: all.
    var visibleUnder: UUID?
}

/// All the SQL of difficulties raised to the Board.
enum DifficultyRepository: ResourceRepository {
    static let noun = "the difficulty"

    static func find(_ id: UUID, forUpdate: Bool = false, on connection: PQConnection) async throws -> Difficulty? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        return try await connection.query("SELECT \(Difficulty.columns) FROM difficulties d WHERE d.id = \(id)\(lock)").first.map(
            Difficulty.init(row:))
    }

    /// Latest first.
    static func list(
        _ f: DifficultyFilter, after cursor: [String]?, limit: Int, on connection: PQConnection
    ) async throws -> ([Difficulty], [String]?) {
        var conditions: [PQQuery] = ["true"]
        if let v = f.status { conditions.append("d.status = \(v)::difficulty_status") }
        if let v = f.unitID { conditions.append("d.unit_id IN (SELECT ttdn_unit_subtree(\(v)))") }
        if let v = f.taskID { conditions.append("d.task_id = \(v)") }
        if let v = f.visibleUnder { conditions.append("d.unit_id IN (SELECT ttdn_unit_subtree(\(v)))") }
        if let cursor, cursor.count == 2, let at = PQTimestamp.parse(cursor[0]), let id = UUID(uuidString: cursor[1]) {
            conditions.append("(d.created_at, d.id) < (\(at), \(id))")
        }
        let rows = try await connection.query(
            """
            SELECT \(Difficulty.columns) FROM difficulties d WHERE \(PQQuery.joined(conditions, separator: " AND "))
            ORDER BY d.created_at DESC, d.id DESC LIMIT \(limit + 1)
            """
        ).map(Difficulty.init(row:))
        return Pagination.cut(rows, limit: limit) { [PQTimestamp.format($0.createdAt), $0.id.text] }
    }

    static func insert(_ f: DifficultyFields, unit: UUID, raisedBy: UUID?, on connection: PQConnection) async throws -> Difficulty {
        let id: UUID = try await connection.query(
            """
            INSERT INTO difficulties (unit_id, title, description, task_id, report_id, raised_by)
            VALUES (\(unit), \(f.title.value), \(f.description.value), \(f.taskID.value), \(f.reportID.value), \(raisedBy))
            RETURNING id
            """)[0].decode("id")
        return try await find(id, on: connection)!
    }

    static func update(_ current: Difficulty, with f: DifficultyFields, on connection: PQConnection) async throws -> Difficulty {
        _ = try await connection.query(
            """
            UPDATE difficulties d SET unit_id = \(f.unitID.merged(into: current.unitId)), title = \(f.title.merged(into: current.title)),
                description = \(f.description.merged(into: current.description)), task_id = \(f.taskID.merged(into: current.taskId)),
                report_id = \(f.reportID.merged(into: current.reportId)), updated_at = now(), version = d.version + 1
            WHERE d.id = \(current.id)
            """)
        return try await find(current.id, on: connection)!
    }

    /// The office's answer; the first answer's time is what `days_open` counts to.
    static func answer(_ id: UUID, with text: String, by token: UUID?, on connection: PQConnection) async throws -> Difficulty {
        _ = try await connection.query(
            """
            UPDATE difficulties SET status = 'answered', answer = \(text), answered_by = \(token),
                answered_at = coalesce(answered_at, now()), updated_at = now(), version = version + 1
            WHERE id = \(id)
            """)
        return try await find(id, on: connection)!
    }

    static func close(_ id: UUID, on connection: PQConnection) async throws -> Difficulty {
        _ = try await connection.query(
            "UPDATE difficulties SET status = 'closed', closed_at = now(), updated_at = now(), version = version + 1 WHERE id = \(id)")
        return try await find(id, on: connection)!
    }

    /// Per unit, what was still waiting at the end of `day` (Hai Phong time): raised by then,
    /// not closed by then; open when not yet answered by then. Only units with something waiting.
    static func waiting(on day: CalendarDate, visibleUnder root: UUID?, unit: UUID?, on connection: PQConnection) async throws -> [OpenDifficulties] {
        var scope: PQQuery = ""
        if let root { scope = "AND d.unit_id IN (SELECT ttdn_unit_subtree(\(root)))" }
        if let unit { scope = "\(scope) AND d.unit_id IN (SELECT ttdn_unit_subtree(\(unit)))" }
        return try await connection.query(
            """
            WITH at AS (SELECT ((\(day)::date + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh') AS end_of_day),
            waiting AS (
                SELECT d.unit_id, d.created_at, d.answered_at IS NULL OR d.answered_at >= at.end_of_day AS unanswered
                FROM difficulties d, at
                WHERE d.created_at < at.end_of_day AND (d.closed_at IS NULL OR d.closed_at >= at.end_of_day) \(scope)
            )
            SELECT w.unit_id, u.code::text AS unit_code, u.name::text AS unit_name,
                   count(*) FILTER (WHERE w.unanswered)::bigint AS open, count(*) FILTER (WHERE NOT w.unanswered)::bigint AS answered,
                   max(\(day)::date - (w.created_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date) FILTER (WHERE w.unanswered) AS oldest_open_days
            FROM waiting w JOIN units u ON u.id = w.unit_id
            GROUP BY w.unit_id, u.code, u.name
            ORDER BY open DESC, oldest_open_days DESC NULLS LAST, u.code
            """
        ).map(OpenDifficulties.init(row:))
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "difficulties_unit_fkey": return FieldError("unit_id", "does not name an existing unit")
        case "difficulties_task_fkey": return FieldError("task_id", "does not name an existing plan task")
        case "difficulties_report_fkey": return FieldError("report_id", "does not name an existing report")
        default: return nil
        }
    }
}
