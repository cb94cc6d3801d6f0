import Foundation
import PQ
import TTDNKit

public enum DifficultyStatus: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable { case open, answered, closed }

/// A difficulty a unit raises to the Board of Directors for direction (*vướng mắc*, V.3),
/// optionally about a plan task or a report; the office answers, the unit (or the office) closes it.
public struct Difficulty: Codable, Sendable, StoredResource {
    public var id: UUID
    public var unitId: UUID
    public var title: String
    public var description: String
    public var taskId: UUID?
    public var reportId: UUID?
    public var status: DifficultyStatus
    public var raisedBy: UUID?
    public var answer: String?
    public var answeredBy: UUID?
    public var answeredAt: Date?
    public var closedAt: Date?
    /// Hai Phong days from when it was raised until it was first answered or closed (until today while open).
    public var daysOpen: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    package static let auditType = "difficulties"
    package static let collectionPath = "/v1/difficulties"
    public var etag: String { Conditional.etag(version: version) }

    static let columnNames = [
        "id", "unit_id", "title", "description", "task_id", "report_id", "status", "raised_by", "answer", "answered_by", "answered_at",
        "closed_at", "days_open", "created_at", "updated_at", "version",
    ]
    static let computedColumns = [
        "days_open": """
        ((coalesce(d.answered_at, d.closed_at, now()) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
         - (d.created_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date)
        """
    ]
    static let columns = PQQuery(
        unescaped: columnNames.map { name in computedColumns[name].map { "\($0) AS \(name)" } ?? "d.\(name)" }.joined(separator: ", "))

    init(row: PQRow) throws {
        id = try row.decode("id")
        unitId = try row.decode("unit_id")
        title = try row.decode("title")
        description = try row.decode("description")
        taskId = try row.decode("task_id")
        reportId = try row.decode("report_id")
        status = try row.decode("status")
        raisedBy = try row.decode("raised_by")
        answer = try row.decode("answer")
        answeredBy = try row.decode("answered_by")
        answeredAt = try row.decode("answered_at")
        closedAt = try row.decode("closed_at")
        daysOpen = try row.decode("days_open")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }
}

/// What the raising unit writes of a difficulty; the answer and the status change by actions.
struct DifficultyFields: Sendable, ResourceInput {
    static let requiredOnCreate = ["title", "description"]
    static let readOnly = InputReader.readOnly.union([
        "status", "raised_by", "answer", "answered_by", "answered_at", "closed_at", "days_open",
    ])

    var unitID: Field<UUID> = .absent
    var title: Field<String> = .absent
    var description: Field<String> = .absent
    var taskID: Field<UUID> = .absent
    var reportID: Field<UUID> = .absent

    init(reading reader: inout InputReader) {
        unitID = reader.uuid("unit_id")
        title = reader.string("title", maxLength: 300)
        description = reader.string("description", maxLength: 20000)
        taskID = reader.uuid("task_id")
        reportID = reader.uuid("report_id")
        for (key, isNull) in [("unit_id", unitID.isNull), ("title", title.isNull), ("description", description.isNull)] where isNull {
            reader.fail(key, "must not be null")
        }
    }
}

/// A unit's difficulties still waiting on a day: open (no answer yet) or answered and not closed.
struct OpenDifficulties: Encodable, Sendable {
    var unitId: UUID
    var unitCode: String
    var unitName: String
    var open: Int
    var answered: Int
    /// Days the oldest unanswered one has waited, or null when none is unanswered.
    var oldestOpenDays: Int?

    init(row: PQRow) throws {
        unitId = try row.decode("unit_id")
        unitCode = try row.decode("unit_code")
        unitName = try row.decode("unit_name")
        open = try row.decode("open")
        answered = try row.decode("answered")
        oldestOpenDays = try row.decode("oldest_open_days")
    }

    static let csvHeader = ["unit_id", "unit_code", "unit_name", "open", "answered", "oldest_open_days"]
    var csvRow: [String?] { [unitId.text, unitCode, unitName, String(open), String(answered), oldestOpenDays.map(String.init)] }
}
