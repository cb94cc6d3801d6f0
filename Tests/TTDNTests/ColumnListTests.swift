import Foundation
import TTDNKit
import Testing

@testable import TTDN

/// A resource's columns are declared once; its CSV layout is checked against its JSON here, so the
/// two lists (header, row) cannot drift apart.
@Suite("Column lists: CSV and JSON say the same")
struct ColumnListTests {
    /// The JSON value a CSV cell stands for, written as the CSV writes it.
    static func cell(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: return ""
        case .array(let items)?: return items.map { cell($0) }.joined(separator: " ")
        case .bool(let b)?: return b ? "true" : "false"
        case .int(let i)?: return String(i)
        case .number(let text)?: return text
        case .string(let s)?: return s
        case .object?: return "{}"
        }
    }

    /// JSON members by CSV column name: `officer_name` is `officer.name`.
    static func flatten(_ object: [String: JSONValue]) -> [String: JSONValue] {
        var flat = object
        for (key, value) in object {
            if case .object(let nested) = value { for (inner, v) in nested { flat["\(key)_\(inner)"] = v } }
        }
        return flat
    }

    /// RFC 4180 records (quoted fields may hold commas, quotes and line breaks).
    static func rows(_ csv: String) -> [[String]] {
        var records: [[String]] = [], record: [String] = [], field = "", quoted = false
        var characters = Array(csv).makeIterator()
        var pending: Character? = nil
        while let c = pending ?? characters.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = characters.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                record.append(field); field = ""
            } else if c == "\r\n" || c == "\n" {
                record.append(field); records.append(record); record = []; field = ""
            } else {
                field.append(c)
            }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }

    /// Data of this test's own, so the JSON page and the CSV stream list the same rows.
    static func ownData(_ server: TestServer) async throws -> (unit: String, plan: String, word: String) {
        let word = "cot\(UUID().uuidString.prefix(8).lowercased())"
        let unit = try await server.createUnit([
            "name": "Trường Cột \(word)", "valid_from": "2023-01-01", "district": "Kiến An",
            "officer": ["name": "Nguyễn Văn A", "phone": "0225 3842 000"],
        ])
        let plan = try await server.post("/v1/plans", ["year": 2031, "title": "Kế hoạch \(word)", "issuing_unit_id": unit["id"]!])
        let planID = plan.json["id"] as! String
        _ = try await server.post(
            "/v1/plan-tasks",
            [
                "plan_id": planID, "code": "I.1", "title": "Nhiệm vụ, có dấu phẩy \"và ngoặc\"",
                "category": "core_task", "year": 2031, "quarter": 2, "lead_unit_ids": [unit["id"]!],
            ])
        return (unit["id"] as! String, planID, word)
    }

    @Test func csvColumnsAreTheJSONFields() async throws {
        let server = try await TestServer.get()
        let own = try await Self.ownData(server)
        for (path, header) in [
            ("/v1/units?q=\(own.word)", Unit.csvHeader), ("/v1/plan-tasks?plan_id=\(own.plan)", PlanTask.csvHeader),
            ("/v1/audit-events?resource_type=units&resource_id=\(own.unit)", AuditEvent.csvHeader),
        ] {
            let json = try await server.get(path)
            let csv = try await server.get(path, headers: ["Accept": "text/csv"])
            let lines = Self.rows(csv.text)
            #expect(lines.first == header, "\(path)")
            guard case .object(let page) = try JSONParser.parse(Array(json.body)), case .array(let items)? = page["items"],
                case .object(let item)? = items.first, items.count == 1
            else { Issue.record("not one item at \(path): \(json.text)"); continue }
            let flat = Self.flatten(item)
            let row = try #require(lines.dropFirst().first)
            #expect(lines.count == 2, "\(path)")
            for (index, name) in header.enumerated() {
                #expect(flat.keys.contains(name), "\(path): \(name) is not a JSON field")
                #expect(row[index] == Self.cell(flat[name]), "\(path): \(name)")
            }
        }
    }
}
