import Foundation
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
                    if let next = characters.next() { if next == "\"" { field.append("\"") } else { quoted = false; pending = next } }
                    else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" { quoted = true }
            else if c == "," { record.append(field); field = "" }
            else if c == "\r\n" || c == "\n" { record.append(field); records.append(record); record = []; field = "" }
            else { field.append(c) }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }

    @Test(arguments: [
        ("/v1/units?as_of=2023-06-01&q=phong%20le%20chan", Unit.csvHeader),
        ("/v1/plan-tasks?limit=5", PlanTask.csvHeader),
        ("/v1/audit-events?resource_type=units&limit=5", AuditEvent.csvHeader),
    ])
    func csvColumnsAreTheJSONFields(path: String, header: [String]) async throws {
        let server = try await TestServer.get()
        _ = try await server.createUnit(["name": "Phòng GD&ĐT Lê Chân thử \(uniqueCode())", "valid_from": "2023-01-01"])
        let json = try await server.get(path)
        let csv = try await server.get(path, headers: ["Accept": "text/csv"])
        let lines = Self.rows(csv.text)
        #expect(lines.first == header)
        guard case .object(let page) = try JSONParser.parse(Array(json.body)), case .array(let items)? = page["items"],
              case .object(let item)? = items.first else { Issue.record("no items at \(path)"); return }
        let flat = Self.flatten(item)
        // The CSV streams the whole filtered list in the same order: its first row is the first item.
        let row = try #require(lines.dropFirst().first)
        for (index, name) in header.enumerated() {
            #expect(flat.keys.contains(name), "\(name) is not a JSON field")
            let expected = Self.cell(flat[name])
            #expect(row[index] == expected, "\(path): \(name)")
        }
    }
}
