import Foundation
import PQ
import TTDNKit
import ZIPFoundation

/// An evidence file on a report, an activity, an assignment or a media entry. Its bytes are in
/// PostgreSQL (`attachment_chunks`), served at `content_url`.
public struct Attachment: Codable, Sendable, StoredResource {
    public var id: UUID
    /// `report`, `activity`, `assignment` or `media_entry`.
    public var parentType: String
    public var parentId: UUID
    /// The unit of the parent when the file was added, for tokens bound to a unit.
    public var unitId: UUID?
    public var filename: String
    public var contentType: String
    public var sizeBytes: Int
    public var sha256: String
    public var uploadedBy: UUID?
    public var createdAt: Date
    public var version: Int
    public var contentUrl: String

    package static let auditType = "attachments"
    package static let collectionPath = "/v1/attachments"
    public var etag: String { Conditional.etag(version: version) }

    /// The parent columns of `attachments`; exactly one is set.
    static let parentColumns = ["report_id", "activity_id", "assignment_id", "media_entry_id"]

    static let columns = PQQuery(
        unescaped: """
            f.id, CASE \(parentColumns.map { "WHEN f.\($0) IS NOT NULL THEN '\($0.dropLast(3))'" }.joined(separator: " ")) END AS parent_type,
            coalesce(\(parentColumns.map { "f.\($0)" }.joined(separator: ", "))) AS parent_id, f.unit_id, f.filename,
            f.content_type, f.size_bytes, f.sha256, f.uploaded_by, f.created_at, f.version
            """)

    init(row: PQRow) throws {
        id = try row.decode("id")
        parentType = try row.decode("parent_type")
        parentId = try row.decode("parent_id")
        unitId = try row.decode("unit_id")
        filename = try row.decode("filename")
        contentType = try row.decode("content_type")
        sizeBytes = try row.decode("size_bytes")
        sha256 = try row.decode("sha256")
        uploadedBy = try row.decode("uploaded_by")
        createdAt = try row.decode("created_at")
        version = try row.decode("version")
        contentUrl = "\(Self.collectionPath)/\(id.text)/content"
    }
}

/// The kinds of file accepted as evidence, recognised from their first bytes (and, for the
/// office formats, from the parts inside their ZIP container), never from the header alone.
enum EvidenceType: String, CaseIterable, Sendable {
    case pdf = "application/pdf"
    case jpeg = "image/jpeg"
    case png = "image/png"
    case docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    case xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    case odt = "application/vnd.oasis.opendocument.text"

    var name: String {
        switch self {
        case .pdf: "a PDF document"
        case .jpeg: "a JPEG image"
        case .png: "a PNG image"
        case .docx: "a Word (DOCX) document"
        case .xlsx: "an Excel (XLSX) workbook"
        case .odt: "an OpenDocument text (ODT)"
        }
    }

    /// What `bytes` are, if they are one of the accepted kinds.
    static func sniff(_ bytes: [UInt8]) -> EvidenceType? {
        if bytes.starts(with: Array("%PDF-".utf8)) { return .pdf }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return office(bytes) }
        return nil
    }

    /// A ZIP is an ODT when its first entry says so (ODF's `mimetype`), a DOCX or XLSX when it
    /// holds the main part of one.
    private static func office(_ bytes: [UInt8]) -> EvidenceType? {
        guard let archive = try? Archive(data: Data(bytes), accessMode: .read, pathEncoding: nil) else { return nil }
        if let mimetype = archive["mimetype"], mimetype.uncompressedSize < 200 {
            var text = Data()
            _ = try? archive.extract(mimetype) { text.append($0) }
            if String(decoding: text, as: UTF8.self) == EvidenceType.odt.rawValue { return .odt }
        }
        guard archive["[Content_Types].xml"] != nil else { return nil }
        if archive["word/document.xml"] != nil { return .docx }
        if archive["xl/workbook.xml"] != nil { return .xlsx }
        return nil
    }

    /// The declared media type without parameters, lower-cased.
    static func declared(_ header: String?) -> String? {
        header?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }
}
