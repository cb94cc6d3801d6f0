import Crypto
import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing
import ZIPFoundation

/// Files of each accepted kind, small but recognisable by their content.
enum SampleFile {
    static let pdf = Data("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".utf8)
    static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
    static let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 0x4A, 0x46, 0x49, 0x46, 0])

    static func zip(_ entries: [(String, String)]) throws -> Data {
        let archive = try Archive(accessMode: .create)
        for (path, text) in entries {
            let data = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count)) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return archive.data!
    }

    static func docx() throws -> Data { try zip([("[Content_Types].xml", "<Types/>"), ("word/document.xml", "<w:document/>")]) }
    static func xlsx() throws -> Data { try zip([("[Content_Types].xml", "<Types/>"), ("xl/workbook.xml", "<workbook/>")]) }
    static func odt() throws -> Data { try zip([("mimetype", "application/vnd.oasis.opendocument.text"), ("content.xml", "<office/>")]) }
}

let docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
let xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

extension TestServer {
    func upload(
        _ path: String, _ data: Data, type: String?, filename: String? = "minh-chung.pdf", token: String? = nil
    ) async throws -> HTTPAnswer {
        var headers: [String: String] = [:]
        if let type { headers["Content-Type"] = type }
        if let filename {
            let encoded = filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? filename
            headers["Content-Disposition"] = "attachment; filename=\"file\"; filename*=UTF-8''\(encoded)"
        }
        return try await request("POST", path, token: token, body: data, headers: headers)
    }

    func attachmentCount(_ column: String, _ parent: String) async throws -> Int {
        try await pool.query("SELECT count(*)::int8 AS n FROM attachments WHERE \(unescaped: column) = \(UUID(uuidString: parent)!)")[0].decode("n")
    }
}

@Suite("Evidence files")
struct AttachmentTests {
    func activity(_ server: TestServer, unit: String) async throws -> String {
        let answer = try await server.post(
            "/v1/activities", ["unit_id": unit, "kind": "event_held", "title": "Tuần lễ ASEAN", "starts_on": "2023-08-01"])
        return answer.json["id"] as! String
    }

    @Test func uploadKeepsTheBytesTheirDigestAndTheirVietnameseName() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit()["id"] as! String
        let editor = try await server.token(.editor, unit: unit)
        let parent = try await activity(server, unit: unit)
        let created = try await server.upload(
            "/v1/activities/\(parent)/attachments", SampleFile.pdf, type: "application/pdf", filename: "Báo cáo tuần lễ ASEAN.pdf", token: editor)
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created.json["id"] as? String)
        #expect(created.header("Location") == "/v1/attachments/\(id)")
        #expect(created.json["filename"] as? String == "Báo cáo tuần lễ ASEAN.pdf")
        #expect(created.json["size_bytes"] as? Int == SampleFile.pdf.count)
        #expect(created.json["sha256"] as? String == SHA256.hash(data: SampleFile.pdf).map { String(format: "%02x", $0) }.joined())
        #expect(created.json["parent_type"] as? String == "activity")
        #expect(created.json["unit_id"] as? String == unit)

        let download = try await server.get("/v1/attachments/\(id)/content", token: editor)
        #expect(download.status == 200)
        #expect(download.body == SampleFile.pdf)
        #expect(download.header("Content-Type") == "application/pdf")
        #expect(
            download.header("Content-Disposition")?.contains("filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20tu%E1%BA%A7n%20l%E1%BB%85%20ASEAN.pdf") == true)
        #expect(download.header("X-Content-Type-Options") == "nosniff")
        let etag = try #require(download.header("ETag"))
        #expect(try await server.get("/v1/attachments/\(id)/content", headers: ["If-None-Match": etag]).status == 304)

        // Every accepted kind, recognised by its content.
        for (data, type) in [
            (SampleFile.png, "image/png"), (SampleFile.jpeg, "image/jpeg"), (try SampleFile.docx(), docxType),
            (try SampleFile.xlsx(), xlsxType), (try SampleFile.odt(), "application/vnd.oasis.opendocument.text"),
        ] {
            let answer = try await server.upload("/v1/activities/\(parent)/attachments", data, type: type, filename: "tep", token: editor)
            #expect(answer.status == 201, "\(type): \(answer.text)")
        }
        let list = try await server.get("/v1/activities/\(parent)/attachments")
        #expect(list.items.count == 6)
        #expect(list.items.first?["id"] as? String == id)

        // A file larger than a chunk comes back whole.
        var large = Data("%PDF-1.7\n".utf8)
        large.append(Data((0..<(2_500_000)).map { UInt8(truncatingIfNeeded: $0 &* 31) }))
        let big = try await server.upload("/v1/activities/\(parent)/attachments", large, type: "application/pdf", token: editor)
        #expect(big.status == 201)
        let bigBack = try await server.get("/v1/attachments/\(big.json["id"] as! String)/content")
        #expect(bigBack.body == large)
    }

    @Test func forgedTypesMissingNamesAndOversizedFilesAreRefusedAndLeaveNothing() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit()["id"] as! String
        let parent = try await activity(server, unit: unit)
        let path = "/v1/activities/\(parent)/attachments"
        // A PNG sent as a PDF, a text file sent as a PDF, a spreadsheet sent as a Word document.
        let forged = try await server.upload(path, SampleFile.png, type: "application/pdf")
        #expect(forged.status == 415)
        #expect(forged.json["type"] as? String == "urn:ttdn:problem:content-type-mismatch")
        #expect((forged.json["detail"] as? String)?.contains("PNG") == true)
        let text = try await server.upload(path, Data("just text".utf8), type: "application/pdf")
        #expect(text.status == 415)
        #expect(text.json["type"] as? String == "urn:ttdn:problem:content-not-accepted")
        #expect(try await server.upload(path, try SampleFile.xlsx(), type: docxType).status == 415)
        // A ZIP that is no office document.
        #expect(try await server.upload(path, try SampleFile.zip([("a.txt", "a")]), type: docxType).status == 415)
        #expect(try await server.upload(path, Data("<html>".utf8), type: "text/html").status == 415)
        #expect(try await server.upload(path, SampleFile.pdf, type: nil).status == 415)
        let unnamed = try await server.upload(path, SampleFile.pdf, type: "application/pdf", filename: nil)
        #expect(unnamed.status == 400)
        #expect(unnamed.errorFields == ["Content-Disposition"])
        #expect(try await server.upload(path, Data(), type: "application/pdf").status == 400)
        // One byte over the limit (20 MiB by default).
        var oversized = Data("%PDF-1.4\n".utf8)
        oversized.append(Data(count: server.config.attachmentMaxBytes + 1 - oversized.count))
        let tooLarge = try await server.upload(path, oversized, type: "application/pdf")
        #expect(tooLarge.status == 413)
        #expect(tooLarge.json["type"] as? String == "urn:ttdn:problem:attachment-too-large")
        #expect(
            try await server.upload("/v1/activities/\(UUID().uuidString.lowercased())/attachments", SampleFile.pdf, type: "application/pdf").status
                == 404)
        #expect(try await server.attachmentCount("activity_id", parent) == 0)
    }

    @Test func anUploadCutOffMidwayLeavesNothing() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit()["id"] as! String
        let parent = try await activity(server, unit: unit)
        let port = URLComponents(string: server.baseURL)!.port!
        do {
            let connection = try await RawConnection.open(port: port)
            await connection.send(
                "POST /v1/activities/\(parent)/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(server.adminToken)\r\n"
                    + "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"cut.pdf\"\r\nContent-Length: 500000\r\n\r\n"
                    + "%PDF-1.4\n" + String(repeating: "x", count: 100_000))
            try await Task.sleep(for: .milliseconds(300))
        }  // the connection closes here, 400,000 bytes short
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await server.attachmentCount("activity_id", parent) == 0)
        // The server is unharmed: the next upload works.
        #expect(try await server.upload("/v1/activities/\(parent)/attachments", SampleFile.pdf, type: "application/pdf").status == 201)
    }

    @Test func accessFollowsTheParentsRules() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit()["id"] as! String
        let other = try await server.createUnit()["id"] as! String
        let editor = try await server.token(.editor, unit: unit)
        let otherEditor = try await server.token(.editor, unit: other)
        let viewer = try await server.token(.viewer)

        // An activity: everyone sees its files, its unit's editors add and delete them.
        let parent = try await activity(server, unit: unit)
        let path = "/v1/activities/\(parent)/attachments"
        #expect(try await server.upload(path, SampleFile.pdf, type: "application/pdf", token: otherEditor).status == 403)
        #expect(try await server.upload(path, SampleFile.pdf, type: "application/pdf", token: viewer).status == 403)
        let file = try await server.upload(path, SampleFile.pdf, type: "application/pdf", token: editor)
        let id = file.json["id"] as! String
        #expect(try await server.get("/v1/attachments/\(id)/content", token: otherEditor).status == 200)
        #expect(try await server.delete("/v1/attachments/\(id)", token: otherEditor).status == 403)
        #expect(try await server.delete("/v1/attachments/\(id)", token: editor).status == 204)
        #expect(try await server.get("/v1/attachments/\(id)/content").status == 404)
        #expect(try await server.auditActions("attachments", id: id) == ["create", "delete"])

        // A report: hidden from other units; its unit adds files while it can be edited.
        let period = try await makePeriod(server)
        let report = try await server.post("/v1/reports", ["unit_id": unit, "period_id": period], token: editor)
        let reportID = report.json["id"] as! String
        let reportFiles = "/v1/reports/\(reportID)/attachments"
        let evidence = try await server.upload(reportFiles, try SampleFile.docx(), type: docxType, filename: "Báo cáo.docx", token: editor)
        #expect(evidence.status == 201, "\(evidence.text)")
        let evidenceID = evidence.json["id"] as! String
        #expect(try await server.get(reportFiles, token: otherEditor).status == 404)
        #expect(try await server.get("/v1/attachments/\(evidenceID)", token: otherEditor).status == 404)
        #expect(try await server.get("/v1/attachments/\(evidenceID)/content", token: otherEditor).status == 404)
        #expect(try await server.upload(reportFiles, SampleFile.pdf, type: "application/pdf", token: otherEditor).status == 404)
        #expect(try await server.get(reportFiles, token: editor).items.count == 1)
        #expect(try await server.request("POST", "/v1/reports/\(reportID)/submit", token: editor).status == 200)
        #expect(try await server.upload(reportFiles, SampleFile.pdf, type: "application/pdf", token: editor).status == 409)
        #expect(try await server.upload(reportFiles, SampleFile.pdf, type: "application/pdf").status == 201)  // the office

        // A media entry about the unit, and an assignment of the unit.
        let media = try await server.post("/v1/media-entries", mediaBody(["related_unit_id": unit]))
        let mediaFiles = "/v1/media-entries/\(media.json["id"] as! String)/attachments"
        #expect(try await server.upload(mediaFiles, SampleFile.png, type: "image/png", filename: "anh-chup.png", token: editor).status == 201)
        #expect(try await server.upload(mediaFiles, SampleFile.png, type: "image/png", token: otherEditor).status == 403)
        let task = try await seededTask(server, "III.1.1")
        let assignment = try await server.post("/v1/plan-tasks/\(task)/assignments", ["unit_id": unit])
        #expect(assignment.status == 201, "\(assignment.text)")
        let assignmentFiles = "/v1/assignments/\(assignment.json["id"] as! String)/attachments"
        #expect(try await server.upload(assignmentFiles, SampleFile.pdf, type: "application/pdf", token: editor).status == 201)
        #expect(try await server.upload(assignmentFiles, SampleFile.pdf, type: "application/pdf", token: otherEditor).status == 403)
        #expect(try await server.get(assignmentFiles, token: viewer).items.count == 1)
    }
}
