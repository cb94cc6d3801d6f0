import Foundation
import TTDN
import TTDNKit
import TestSupport
import Testing
import ZIPFoundation

@Suite("CSV for spreadsheets")
struct SpreadsheetTests {
    @Test func formulasAreNeutralisedAndNumbersAreNot() {
        #expect(CSVOutput.neutralised("=HYPERLINK(\"http://x\",\"bấm\")") == "'=HYPERLINK(\"http://x\",\"bấm\")")
        #expect(CSVOutput.neutralised("+84 225 3842 114") == "'+84 225 3842 114")
        #expect(CSVOutput.neutralised("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSVOutput.neutralised("\tx") == "'\tx")
        #expect(CSVOutput.neutralised("-12") == "-12")
        #expect(CSVOutput.neutralised("-1.5e3") == "-1.5e3")
        #expect(CSVOutput.neutralised("Phòng Giáo dục") == "Phòng Giáo dục")
        #expect(CSVOutput.line(["=1+1", "a,b"]) == "'=1+1,\"a,b\"\r\n")
    }

    @Test func aByteOrderMarkWhenAskedAndAFormulaTitleGoesOutAsText() async throws {
        let server = try await TestServer.get()
        // A word of letters only: search splits codes at their dashes and digits.
        let word = "bom" + String(UUID().uuidString.lowercased().filter(\.isLetter).prefix(10))
        _ = try await server.createUnit(["name": "=Phòng Giáo dục \(word)"])
        let path = "/v1/units?q=\(word)"
        let plain = try await server.get(path, headers: ["Accept": "text/csv"])
        #expect(plain.body.prefix(3) != Data([0xEF, 0xBB, 0xBF]))
        #expect(plain.text.contains(",'=Phòng Giáo dục "))
        let marked = try await server.get(path + "&bom=true", headers: ["Accept": "text/csv"])
        #expect(marked.body.prefix(3) == Data([0xEF, 0xBB, 0xBF]))
        #expect(marked.body.dropFirst(3) == plain.body)
        // Aggregates built in memory too.
        let aggregate = try await server.get("/v1/aggregates/activities?year=2023&bom=true", headers: ["Accept": "text/csv"])
        #expect(aggregate.body.prefix(3) == Data([0xEF, 0xBB, 0xBF]))
        #expect(try await server.get(path + "&bom=yes", headers: ["Accept": "text/csv"]).status == 400)
    }

    @Test func theSameTableAsAWorkbookWithNumbersAndDates() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit()["id"] as! String
        _ = try await server.post(
            "/v1/activities", ["unit_id": unit, "kind": "website_article", "title": "Bài <viết> & tin", "starts_on": "2023-05-10", "item_count": 12])
        let workbook = try await server.get("/v1/activities?unit_id=\(unit)", headers: ["Accept": XLSXWorkbook.mediaType])
        #expect(workbook.status == 200)
        #expect(workbook.header("Content-Type") == XLSXWorkbook.mediaType)
        #expect(workbook.header("Content-Disposition") == "attachment; filename=\"activities.xlsx\"")
        let archive = try Archive(data: workbook.body, accessMode: .read, pathEncoding: nil)
        var sheet = Data()
        _ = try archive.extract(try #require(archive["xl/worksheets/sheet1.xml"])) { sheet.append($0) }
        let xml = String(decoding: sheet, as: UTF8.self)
        #expect(xml.contains("<t xml:space=\"preserve\">Bài &lt;viết&gt; &amp; tin</t>"))
        #expect(xml.contains("s=\"1\"><v>45056.0</v>"))  // 2023-05-10 as an Excel date
        #expect(xml.contains("><v>12</v>"))
        #expect(archive["xl/styles.xml"] != nil)
        // Flattened lists too (events: their JSON fields as columns), and a byte-order mark on CSV.
        let events = try await server.get("/v1/events?limit=5&bom=true", headers: ["Accept": "text/csv"])
        #expect(events.body.prefix(3) == Data([0xEF, 0xBB, 0xBF]))
        #expect(
            try await server.get("/v1/events?limit=5", headers: ["Accept": XLSXWorkbook.mediaType]).header("Content-Type") == XLSXWorkbook.mediaType)
    }

    @Test func cellsAreTypedFromTheirText() {
        #expect(XLSXWorkbook.columnName(0) == "A")
        #expect(XLSXWorkbook.columnName(25) == "Z")
        #expect(XLSXWorkbook.columnName(26) == "AA")
        #expect(XLSXWorkbook.columnName(701) == "ZZ")
    }
}
