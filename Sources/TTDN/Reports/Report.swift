import Foundation
import PQ
import TTDNKit

public enum ReportStatus: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable { case draft, submitted, returned, accepted }

/// How a report reached the office: through ttdn, or on another channel recorded by an admin.
public enum ReceiptChannel: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable {
    case system, eOffice = "e_office", paper, email
}

public struct ReportSection: Codable, Sendable, Equatable {
    public var title: String
    public var body: String

    /// The `sections` member of a body: `[{"title", "body"}]`, titles up to 300 characters,
    /// bodies up to 50,000.
    static func read(_ reader: inout InputReader, maxCount: Int = 50) -> Field<[ReportSection]> {
        reader.markKnown("sections")
        guard case .object(let object) = reader.body else { return .absent }
        switch object["sections"] {
        case nil: return .absent
        case .null?: return .null
        case .array(let items)? where items.count <= maxCount:
            var out: [ReportSection] = []
            for (index, item) in items.enumerated() {
                guard var nested = try? InputReader(item, prefix: "sections[\(index)]") else {
                    reader.fail("sections[\(index)]", "must be an object with title and body"); continue
                }
                let title = nested.required("title", nested.string("title", maxLength: 300))
                let body = nested.required("body", nested.string("body", maxLength: 50_000))
                do { try nested.finish(readOnly: []) } catch let problem as Problem {
                    problem.errors.forEach { reader.fail($0.field, $0.message) }
                } catch {}
                if let title, let body { out.append(ReportSection(title: title, body: body)) }
            }
            return .value(out)
        default:
            reader.fail("sections", "must be an array of at most \(maxCount) {title, body} objects")
            return .absent
        }
    }
}

public struct ReportTransition: Codable, Sendable {
    public var fromStatus: ReportStatus
    public var toStatus: ReportStatus
    public var actorTokenId: String?
    public var actorRole: String?
    public var comment: String?
    public var at: Date
}

/// A unit's report for a period: indicator values, narrative, covered tasks, attachments,
/// and its review history. `on_time` compares the day it reached the office with the due date.
public struct Report: Encodable, Sendable, StoredResource {
    public var id: UUID
    public var unitId: UUID
    public var periodId: String
    public var status: ReportStatus
    var values: [String: JSONValueOutput]
    public var prefilled: [String]
    public var sections: [ReportSection]
    public var taskIds: [UUID]
    public var attachments: [String]
    public var firstSubmittedAt: Date?
    public var submittedAt: Date?
    public var acceptedAt: Date?
    public var receivedOn: CalendarDate?
    public var receivedVia: ReceiptChannel?
    public var incomingNumber: String?
    public var receiptEvidence: String?
    public var onTime: Bool?
    /// Its period is closed: nothing of it may change (not part of the representation).
    var periodClosed: Bool
    public var history: [ReportTransition]
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    package static let auditType = "reports"
    package static let collectionPath = "/v1/reports"
    public var etag: String { Conditional.etag(version: version) }

    enum CodingKeys: String, CodingKey {
        case id, unitId, periodId, status, values, prefilled, sections, taskIds, attachments, firstSubmittedAt, submittedAt,
            acceptedAt, receivedOn, receivedVia, incomingNumber, receiptEvidence, onTime, history, createdAt, updatedAt, version
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(unitId, forKey: .unitId); try c.encode(periodId, forKey: .periodId)
        try c.encode(status, forKey: .status)
        var v = c.nestedContainer(keyedBy: VerbatimKey.self, forKey: .values)
        for (key, value) in values.sorted(by: { $0.key < $1.key }) { try v.encode(value, forKey: VerbatimKey(key)) }
        try c.encode(prefilled, forKey: .prefilled); try c.encode(sections, forKey: .sections); try c.encode(taskIds, forKey: .taskIds)
        try c.encode(attachments, forKey: .attachments); try c.encodeIfPresent(firstSubmittedAt, forKey: .firstSubmittedAt)
        try c.encodeIfPresent(submittedAt, forKey: .submittedAt); try c.encodeIfPresent(acceptedAt, forKey: .acceptedAt)
        try c.encode(receivedOn, forKey: .receivedOn); try c.encode(receivedVia, forKey: .receivedVia)
        try c.encode(incomingNumber, forKey: .incomingNumber); try c.encode(receiptEvidence, forKey: .receiptEvidence)
        try c.encodeIfPresent(onTime, forKey: .onTime); try c.encode(history, forKey: .history)
        try c.encode(createdAt, forKey: .createdAt); try c.encode(updatedAt, forKey: .updatedAt); try c.encode(version, forKey: .version)
    }

    static let columns = PQQuery(
        unescaped: """
            r.id, r.unit_id, r.period_id, r.status, r.sections, r.attachments::text[] AS attachments,
            r.first_submitted_at, r.submitted_at, r.accepted_at, r.created_at, r.updated_at, r.version,
            r.received_on, r.received_via, r.incoming_number, r.receipt_evidence, p.closed_at IS NOT NULL AS period_closed,
            r.received_on <= p.due_on AS on_time,
            coalesce((SELECT json_object_agg(v.indicator_code, coalesce(to_json(v.number_value), to_json(v.text_value::text)))::text
                      FROM report_values v WHERE v.report_id = r.id), '{}') AS values,
            coalesce((SELECT array_agg(v.indicator_code ORDER BY v.indicator_code) FROM report_values v WHERE v.report_id = r.id AND v.prefilled), '{}') AS prefilled,
            coalesce((SELECT array_agg(t.task_id ORDER BY t.task_id) FROM report_tasks t WHERE t.report_id = r.id), '{}') AS task_ids,
            coalesce((SELECT json_agg(json_build_object('from_status', h.from_status, 'to_status', h.to_status,
                          'actor_token_id', h.actor_token_id, 'actor_role', h.actor_role, 'comment', h.comment,
                          'at', to_char(h.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')) ORDER BY h.id)::text
                      FROM report_transitions h WHERE h.report_id = r.id), '[]') AS history
            """)

    init(row: PQRow) throws {
        id = try row.decode("id")
        unitId = try row.decode("unit_id")
        periodId = try row.decode("period_id")
        status = try row.decode("status")
        sections = try row.decode("sections", as: PQJSON<[ReportSection]>.self).value
        attachments = try row.decode("attachments")
        firstSubmittedAt = try row.decode("first_submitted_at")
        submittedAt = try row.decode("submitted_at")
        acceptedAt = try row.decode("accepted_at")
        onTime = try row.decode("on_time")
        receivedOn = try row.decode("received_on")
        receivedVia = try row.decode("received_via")
        incomingNumber = try row.decode("incoming_number")
        receiptEvidence = try row.decode("receipt_evidence")
        periodClosed = try row.decode("period_closed")
        guard case .object(let members) = try JSONValueOutput(parsing: try row.decode("values", as: String.self)) else {
            throw PQError(kind: .decoding, message: "report values are not a JSON object")
        }
        values = members
        prefilled = try row.decode("prefilled")
        taskIds = try row.decode("task_ids")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { d in
            let text = try d.singleValueContainer().decode(String.self)
            guard let date = PQTimestamp.parse(text.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "+00")) else {
                throw DecodingError.dataCorrupted(.init(codingPath: d.codingPath, debugDescription: "timestamp"))
            }
            return date
        }
        history = try decoder.decode([ReportTransition].self, from: Data(try row.decode("history", as: String.self).utf8))
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }
}

/// What a create or merge patch may carry.
struct ReportFields {
    /// Members a client may send back but never set.
    static let readOnly: Set<String> = [
        "id", "status", "created_at", "updated_at", "version", "prefilled", "history", "on_time",
        "first_submitted_at", "submitted_at", "accepted_at",
    ]

    var unitID: Field<UUID> = .absent
    var periodID: Field<String> = .absent
    /// Indicator code → number or text; nil removes the value (merge patch).
    var values: [String: JSONValue?]? = nil
    var sections: Field<[ReportSection]> = .absent
    var taskIDs: Field<[UUID]> = .absent
    var attachments: Field<[String]> = .absent

    init(reading reader: inout InputReader) {
        let body = reader.body
        unitID = reader.uuid("unit_id")
        periodID = reader.string("period_id", maxLength: 25)
        taskIDs = reader.uuids("task_ids")
        attachments = reader.stringArray("attachments", maxCount: 50, maxLength: 2000)
        if let urls = attachments.value, urls.contains(where: { CanonicalURL.normalize($0) == nil }) {
            reader.fail("attachments", "every item must be an absolute http or https URL")
        }
        reader.markKnown("values")
        guard case .object(let object) = body else { return }
        switch object["values"] {
        case nil: break
        case .object(let map)?:
            values = [:]
            for (code, value) in map {
                guard code.range(of: "^[a-z][a-z0-9_]{1,63}$", options: .regularExpression) != nil else {
                    reader.fail("values", "keys must be indicator codes (lower-case letters, digits, underscores)")
                    continue
                }
                switch value {
                case .null: values?[code] = .some(nil)
                case .int(let n) where n >= 0 && n <= 1_000_000_000_000: values?[code] = value
                case .number(let text)
                where Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")).map({ $0 >= 0 && $0 <= 1_000_000_000_000 }) == true:
                    values?[code] = value  // kept as its literal: stored exactly as numeric
                case .int, .number: reader.fail("values.\(code)", "must be a number from 0 to 10^12")
                case .string(let s):
                    switch InputReader.text(.string(s), maxLength: 20_000, minLength: 1) {
                    case .success(let text): values?[code] = .string(text)
                    case .failure(let invalid): reader.fail("values.\(code)", invalid.message)
                    }
                default: reader.fail("values.\(code)", "must be a number or a text")
                }
            }
        default: reader.fail("values", "must be an object of indicator code to value")
        }
        sections = ReportSection.read(&reader)
    }
}

/// The day and channel by which a report reached the office, as an admin records it.
struct Receipt {
    var receivedOn: CalendarDate?
    var receivedVia: ReceiptChannel?
    var incomingNumber: String?
    var evidence: String?

    init(reading reader: inout InputReader, today: CalendarDate) {
        receivedOn = reader.required("received_on", reader.date("received_on"))
        receivedVia = reader.required("received_via", reader.enumeration("received_via", ReceiptChannel.self))
        incomingNumber = reader.string("incoming_number", maxLength: 100).value
        evidence = reader.string("evidence", maxLength: 2000).value
        if let day = receivedOn, day > today { reader.fail("received_on", "must not be after today (\(today))") }
        if let via = receivedVia, via != .system, evidence == nil {
            reader.fail("evidence", "is required for a report received by \(via.rawValue): where the office can see it arrived")
        }
    }

    /// A report cannot have arrived before its period began.
    func check(against period: ReportPeriod) throws {
        if let day = receivedOn, day < period.startsOn {
            throw Problem.validation([FieldError("received_on", "must not be before the period starts (\(period.startsOn))")])
        }
    }
}
