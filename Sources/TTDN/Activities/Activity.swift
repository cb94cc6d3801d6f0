import Foundation
import PQ
import TTDNKit

/// The kinds of work units do to carry out the plan (II.2, III.2).
public enum ActivityKind: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable {
    case websiteArticle = "website_article", websiteSection = "website_section", eventHeld = "event_held"
    case culturalSport = "cultural_sport", extracurricular, studyTour = "study_tour", conference
    case internationalCooperation = "international_cooperation", pressInformation = "press_information"
    case exemplaryPerson = "exemplary_person", other
}

/// What a unit did to carry out the plan: an article on its website, an event it held, a study
/// tour, cooperation with Laos or Cambodia, an exemplary teacher it featured.
public struct Activity: Codable, Sendable, StoredResource {
    public var id: UUID
    public var unitId: UUID
    public var kind: ActivityKind
    public var title: String
    public var description: String?
    public var startsOn: CalendarDate
    public var endsOn: CalendarDate?
    public var planTaskIds: [UUID]
    public var themeTaskId: UUID?
    public var countries: [String]
    public var itemCount: Int
    public var participants: Int?
    public var audience: String?
    public var links: [String]
    public var recordedBy: UUID?
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    package static let auditType = "activities"
    package static let collectionPath = "/v1/activities"
    public var etag: String { Conditional.etag(version: version) }

    /// The columns of an activity, once: the SELECT list (`a.` is the table alias) and the CSV header.
    static let columnNames = [
        "id", "unit_id", "kind", "title", "description", "starts_on", "ends_on", "plan_task_ids", "theme_task_id",
        "countries", "item_count", "participants", "audience", "links", "recorded_by", "created_at", "updated_at", "version",
    ]
    static let computedColumns = [
        "plan_task_ids": "coalesce((SELECT array_agg(t.task_id ORDER BY t.task_id) FROM activity_tasks t WHERE t.activity_id = a.id), '{}')",
        "countries": "a.countries::text[]",
        "links": "a.links::text[]",
    ]
    static let columns = PQQuery(
        unescaped: columnNames.map { name in
            computedColumns[name].map { "\($0) AS \(name)" } ?? "a.\(name)"
        }.joined(separator: ", "))

    init(row: PQRow) throws {
        id = try row.decode("id")
        unitId = try row.decode("unit_id")
        kind = try row.decode("kind")
        title = try row.decode("title")
        description = try row.decode("description")
        startsOn = try row.decode("starts_on")
        endsOn = try row.decode("ends_on")
        planTaskIds = try row.decode("plan_task_ids")
        themeTaskId = try row.decode("theme_task_id")
        countries = try row.decode("countries")
        itemCount = try row.decode("item_count")
        participants = try row.decode("participants")
        audience = try row.decode("audience")
        links = try row.decode("links")
        recordedBy = try row.decode("recorded_by")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }
}

/// The writable fields of an activity, as read from a create body or a merge patch.
struct ActivityFields: Sendable, ResourceInput {
    static let requiredOnCreate = ["kind", "title", "starts_on"]
    static let readOnly = InputReader.readOnly.union(["recorded_by"])

    var unitID: Field<UUID> = .absent
    var kind: Field<ActivityKind> = .absent
    var title: Field<String> = .absent
    var description: Field<String> = .absent
    var startsOn: Field<CalendarDate> = .absent
    var endsOn: Field<CalendarDate> = .absent
    var planTaskIDs: Field<[UUID]> = .absent
    var themeTaskID: Field<UUID> = .absent
    var countries: Field<[String]> = .absent
    var itemCount: Field<Int> = .absent
    var participants: Field<Int> = .absent
    var audience: Field<String> = .absent
    var links: Field<[String]> = .absent

    init(reading reader: inout InputReader) {
        unitID = reader.uuid("unit_id")
        kind = reader.enumeration("kind", ActivityKind.self)
        title = reader.string("title", maxLength: 500)
        description = reader.string("description", maxLength: 20000)
        startsOn = reader.date("starts_on")
        endsOn = reader.date("ends_on")
        if let start = startsOn.value, let end = endsOn.value, end < start { reader.fail("ends_on", "must be on or after starts_on") }
        for (key, date) in [("starts_on", startsOn.value), ("ends_on", endsOn.value)] {
            if let date, !(2000...2100).contains(date.year) { reader.fail(key, "must be a date in the years 2000 to 2100") }
        }
        planTaskIDs = reader.uuids("plan_task_ids")
        themeTaskID = reader.uuid("theme_task_id")
        countries = reader.countries("countries")
        itemCount = reader.integer("item_count", range: 1...100_000)
        participants = reader.integer("participants", range: 0...10_000_000)
        audience = reader.string("audience", maxLength: 500)
        links = reader.stringArray("links", maxCount: 20, maxLength: 2000)
        if let urls = links.value, urls.contains(where: { CanonicalURL.normalize($0) == nil }) {
            reader.fail("links", "every item must be an absolute http or https URL")
        }
        for (key, isNull) in [
            ("unit_id", unitID.isNull), ("kind", kind.isNull), ("title", title.isNull), ("starts_on", startsOn.isNull),
            ("item_count", itemCount.isNull),
        ] where isNull {
            reader.fail(key, "must not be null")
        }
    }
}
