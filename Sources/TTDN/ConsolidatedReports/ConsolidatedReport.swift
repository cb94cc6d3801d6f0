import Foundation
import PQ
import TTDNKit

public enum ConsolidatedStatus: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable { case draft, approved, sent }

/// The Department's report of a period to the City People's Committee: its figures and the
/// unit reports they came from, its narrative, and the workflow draft → approved → sent. A sent
/// one is frozen; a correction is a new revision with its own number.
public struct ConsolidatedReport: Encodable, Sendable, StoredResource {
    public var id: UUID
    public var periodId: String
    public var revision: Int
    public var revisesId: UUID?
    public var status: ConsolidatedStatus
    public var title: String
    /// Số và ký hiệu, e.g. `123/BC-SGDĐT`.
    public var number: String?
    public var issuingBody: String
    public var parentBody: String?
    public var place: String
    public var signer: String?
    public var signerTitle: String?
    /// Nơi nhận.
    public var recipients: [String]
    public var sentOn: CalendarDate?
    var figures: ConsolidatedFigures
    var sources: [ConsolidatedSource]
    var sections: [ReportSection]
    public var computedAt: Date
    public var approvedAt: Date?
    public var sentAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int
    /// For a sent report: the period's unit reports changed, added or withdrawn since (read, never stored).
    var changedSinceSent: [ConsolidatedChange]?

    package static let auditType = "consolidated_reports"
    package static let collectionPath = "/v1/consolidated-reports"
    public var etag: String { Conditional.etag(version: version) }

    enum CodingKeys: String, CodingKey {
        case id, periodId, revision, revisesId, status, title, number, issuingBody, parentBody, place, signer, signerTitle, recipients
        case sentOn, figures, sources, sections, computedAt, approvedAt, sentAt, createdAt, updatedAt, version, changedSinceSent
    }

    static let columns: PQQuery = """
        c.id, c.period_id, c.revision, c.revises_id, c.status, c.title, c.number, c.issuing_body, c.parent_body, c.place, c.signer,
        c.signer_title, c.recipients::text[] AS recipients, c.sent_on, c.figures, c.sources, c.sections, c.computed_at, c.approved_at,
        c.sent_at, c.created_at, c.updated_at, c.version
        """

    init(row: PQRow) throws {
        id = try row.decode("id")
        periodId = try row.decode("period_id")
        revision = try row.decode("revision")
        revisesId = try row.decode("revises_id")
        status = try row.decode("status")
        title = try row.decode("title")
        number = try row.decode("number")
        issuingBody = try row.decode("issuing_body")
        parentBody = try row.decode("parent_body")
        place = try row.decode("place")
        signer = try row.decode("signer")
        signerTitle = try row.decode("signer_title")
        recipients = try row.decode("recipients")
        sentOn = try row.decode("sent_on")
        figures = try row.decode("figures", as: PQJSON<ConsolidatedFigures>.self).value
        sources = try row.decode("sources", as: PQJSON<[ConsolidatedSource]>.self).value
        sections = try row.decode("sections", as: PQJSON<[ReportSection]>.self).value
        computedAt = try row.decode("computed_at")
        approvedAt = try row.decode("approved_at")
        sentAt = try row.decode("sent_at")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }
}

/// What the office writes on a consolidated report while it is a draft (and, on creation, the period).
struct ConsolidatedReportFields: ResourceInput {
    static let requiredOnCreate = ["period_id"]

    var periodID: Field<String>
    var title: Field<String>
    var number: Field<String>
    var issuingBody: Field<String>
    var parentBody: Field<String>
    var place: Field<String>
    var signer: Field<String>
    var signerTitle: Field<String>
    var recipients: Field<[String]>
    var sections: Field<[ReportSection]>

    init(reading reader: inout InputReader) {
        periodID = reader.string("period_id", maxLength: 25)
        title = reader.string("title", maxLength: 500)
        number = reader.string("number", maxLength: 100)
        issuingBody = reader.string("issuing_body", maxLength: 300)
        parentBody = reader.string("parent_body", maxLength: 300)
        place = reader.string("place", maxLength: 100)
        signer = reader.string("signer", maxLength: 200)
        signerTitle = reader.string("signer_title", maxLength: 200)
        recipients = reader.stringArray("recipients", maxCount: 50, maxLength: 300)
        sections = ReportSection.read(&reader)
        for (key, isNull) in [("title", title.isNull), ("issuing_body", issuingBody.isNull), ("place", place.isNull)] where isNull {
            reader.fail(key, "must not be null")
        }
    }
}

/// What sending sets (each may also have been set on the draft): the number, the day, the
/// signer and the recipients. A sent report must have them all.
struct SendFields: ResourceInput {
    static let requiredOnCreate: [String] = []

    var number: Field<String>
    var sentOn: Field<CalendarDate>
    var signer: Field<String>
    var signerTitle: Field<String>
    var recipients: Field<[String]>

    init(reading reader: inout InputReader) {
        number = reader.string("number", maxLength: 100)
        sentOn = reader.date("sent_on")
        signer = reader.string("signer", maxLength: 200)
        signerTitle = reader.string("signer_title", maxLength: 200)
        recipients = reader.stringArray("recipients", maxCount: 50, maxLength: 300)
    }
}
