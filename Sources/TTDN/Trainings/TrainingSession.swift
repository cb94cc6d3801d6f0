import Foundation
import PQ
import TTDNKit

public enum TrainingFormat: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable { case inPerson = "in_person", online, hybrid }
public enum TrainingStatus: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable { case planned, open, closed, held, cancelled }

/// A training session (lớp tập huấn) with its live registration count.
public struct TrainingSession: Codable, Sendable, StoredResource {
    public var id: UUID
    public var title: String
    public var topic: String?
    public var contentSummary: String?
    public var audience: String?
    public var organiserUnitId: UUID
    public var planTaskId: UUID?
    public var format: TrainingFormat
    public var venue: String?
    public var onlineUrl: String?
    public var startsAt: Date?
    public var endsAt: Date?
    public var plannedYear: Int?
    public var plannedQuarter: Int?
    public var expectedMin: Int?
    public var expectedMax: Int?
    public var capacity: Int
    public var registrationDeadline: CalendarDate?
    public var status: TrainingStatus
    public var registeredCount: Int
    public var waitlistedCount: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    package static let auditType = "training_sessions"
    package static let collectionPath = "/v1/training-sessions"
    public var etag: String { Conditional.etag(version: version) }

    /// The stored columns of a session, once (`s.` is the table alias); `waitlisted_count` is
    /// derived (`TrainingRepository.columns`).
    static let columnNames = [
        "id", "title", "topic", "content_summary", "audience", "organiser_unit_id", "plan_task_id", "format",
        "venue", "online_url", "starts_at", "ends_at", "planned_year", "planned_quarter", "expected_min",
        "expected_max", "capacity", "registration_deadline", "status", "registered_count",
        "created_at", "updated_at", "version",
    ]
    static let columns = PQQuery(unescaped: columnNames.map { "s.\($0)" }.joined(separator: ", "))

    init(row: PQRow) throws {
        id = try row.decode("id")
        title = try row.decode("title")
        topic = try row.decode("topic")
        contentSummary = try row.decode("content_summary")
        audience = try row.decode("audience")
        organiserUnitId = try row.decode("organiser_unit_id")
        planTaskId = try row.decode("plan_task_id")
        format = try row.decode("format")
        venue = try row.decode("venue")
        onlineUrl = try row.decode("online_url")
        startsAt = try row.decode("starts_at")
        endsAt = try row.decode("ends_at")
        plannedYear = try row.decode("planned_year")
        plannedQuarter = try row.decode("planned_quarter")
        expectedMin = try row.decode("expected_min")
        expectedMax = try row.decode("expected_max")
        capacity = try row.decode("capacity")
        registrationDeadline = try row.decode("registration_deadline")
        status = try row.decode("status")
        registeredCount = try row.decode("registered_count")
        waitlistedCount = try row.decode("waitlisted_count")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }

    /// Seats free for the waitlist: an open or planned session with room and people waiting.
    var seatsForWaitlist: Int {
        guard status == .planned || status == .open, capacity > registeredCount, waitlistedCount > 0 else { return 0 }
        return capacity - registeredCount
    }
}

/// The writable fields of a session, as read from a create body or a merge patch.
struct TrainingFields: Sendable, ResourceInput {
    static let requiredOnCreate = ["title", "organiser_unit_id", "format", "capacity"]

    var title: Field<String> = .absent
    var topic: Field<String> = .absent
    var contentSummary: Field<String> = .absent
    var audience: Field<String> = .absent
    var organiserUnitID: Field<UUID> = .absent
    var planTaskID: Field<UUID> = .absent
    var format: Field<TrainingFormat> = .absent
    var venue: Field<String> = .absent
    var onlineURL: Field<String> = .absent
    var startsAt: Field<Date> = .absent
    var endsAt: Field<Date> = .absent
    var plannedYear: Field<Int> = .absent
    var plannedQuarter: Field<Int> = .absent
    var expectedMin: Field<Int> = .absent
    var expectedMax: Field<Int> = .absent
    var capacity: Field<Int> = .absent
    var registrationDeadline: Field<CalendarDate> = .absent
    var status: Field<TrainingStatus> = .absent

    init(reading reader: inout InputReader) {
        title = reader.string("title", maxLength: 300)
        topic = reader.string("topic", maxLength: 500)
        contentSummary = reader.string("content_summary", maxLength: 10_000)
        audience = reader.string("audience", maxLength: 1000)
        organiserUnitID = reader.uuid("organiser_unit_id")
        planTaskID = reader.uuid("plan_task_id")
        format = reader.enumeration("format", TrainingFormat.self)
        venue = reader.string("venue", maxLength: 500)
        onlineURL = reader.url("online_url")
        startsAt = reader.timestamp("starts_at")
        endsAt = reader.timestamp("ends_at")
        plannedYear = reader.integer("planned_year", range: 2000...2100)
        plannedQuarter = reader.integer("planned_quarter", range: 1...4)
        expectedMin = reader.integer("expected_min", range: 0...100_000)
        expectedMax = reader.integer("expected_max", range: 0...100_000)
        capacity = reader.integer("capacity", range: 1...100_000)
        registrationDeadline = reader.date("registration_deadline")
        status = reader.enumeration("status", TrainingStatus.self)
        for (key, isNull) in [
            ("title", title.isNull), ("organiser_unit_id", organiserUnitID.isNull), ("format", format.isNull),
            ("capacity", capacity.isNull), ("status", status.isNull),
        ] where isNull {
            reader.fail(key, "must not be null")
        }
    }
}
