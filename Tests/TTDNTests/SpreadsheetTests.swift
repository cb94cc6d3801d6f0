import Foundation
import TTDN
import TTDNKit
import TestSupport
import Testing

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
        let unit = try await server.createUnit(["name": "=Phòng Giáo dục \(uniqueCode())"])
        let path = "/v1/units?q=\(unit["code"] as! String)"
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
}
