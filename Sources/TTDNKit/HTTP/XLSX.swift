import Foundation
import ZIPFoundation

/// A one-sheet Office Open XML workbook (SpreadsheetML) of the rows a CSV answer has: what the
/// office sends around. Cells are typed from their text: integers and decimals (without a
/// leading zero, so phone numbers and codes stay text) as numbers, `YYYY-MM-DD` as dates and
/// RFC 3339 times as date-times (Excel serial days, with a date format), the rest as text.
package enum XLSXWorkbook {
    package static let mediaType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    enum Cell: Equatable {
        case text(String)
        case number(String)
        case date(Double)
        case dateTime(Double)
    }

    /// Serial days since 1899-12-30 (Excel's epoch, past its 1900 leap-year bug).
    private static let epoch = Date(timeIntervalSince1970: -2_209_161_600)

    static func cell(_ text: String) -> Cell {
        let scalars = text.utf8
        if !text.isEmpty, scalars.count <= 15,
            text.range(of: "^-?(0|[1-9][0-9]*)([.][0-9]+)?$", options: .regularExpression) != nil
        {
            return .number(text)
        }
        if scalars.count == 10, let date = CalendarDateText.parse(text) {
            return .date(date.timeIntervalSince(epoch) / 86_400)
        }
        if scalars.count >= 20, scalars.count <= 35, text.range(of: "^[0-9]{4}-[0-9]{2}-[0-9]{2}T", options: .regularExpression) != nil,
            let instant = InputReader.parseTimestamp(text)
        {
            // Shown in Hai Phong time, as the office reads it.
            return .dateTime((instant.timeIntervalSince(epoch) + 7 * 3600) / 86_400)
        }
        return .text(text)
    }

    /// The workbook's bytes.
    package static func build(header: [String], rows: [[String?]], sheetName: String = "ttdn") throws -> Data {
        let archive = try Archive(accessMode: .create)
        let parts: [(String, String)] = [
            ("[Content_Types].xml", contentTypes),
            ("_rels/.rels", rootRelationships),
            ("xl/workbook.xml", workbook(sheetName)),
            ("xl/_rels/workbook.xml.rels", workbookRelationships),
            ("xl/styles.xml", styles),
            ("xl/worksheets/sheet1.xml", sheet(header: header, rows: rows)),
        ]
        for (path, text) in parts {
            let data = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return archive.data ?? Data()
    }

    static func sheet(header: [String], rows: [[String?]]) -> String {
        var xml = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#
        xml += #"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#
        xml += row(1, header.map { .text($0) })
        for (offset, values) in rows.enumerated() {
            xml += row(offset + 2, values.map { $0.map(cell) ?? .text("") })
        }
        return xml + "</sheetData></worksheet>"
    }

    private static func row(_ number: Int, _ cells: [Cell]) -> String {
        var xml = "<row r=\"\(number)\">"
        for (column, cell) in cells.enumerated() {
            let reference = columnName(column) + String(number)
            switch cell {
            case .text(let text) where text.isEmpty: continue
            case .text(let text): xml += "<c r=\"\(reference)\" t=\"inlineStr\"><is><t xml:space=\"preserve\">\(escape(text))</t></is></c>"
            case .number(let text): xml += "<c r=\"\(reference)\"><v>\(text)</v></c>"
            case .date(let serial): xml += "<c r=\"\(reference)\" s=\"1\"><v>\(serial)</v></c>"
            case .dateTime(let serial): xml += "<c r=\"\(reference)\" s=\"2\"><v>\(serial)</v></c>"
            }
        }
        return xml + "</row>"
    }

    /// A, B, ..., Z, AA, AB, ...
    package static func columnName(_ index: Int) -> String {
        var index = index + 1
        var name = ""
        while index > 0 {
            let remainder = (index - 1) % 26
            name = String(UnicodeScalar(UInt8(65 + remainder))) + name
            index = (index - 1) / 26
        }
        return name
    }

    /// XML text: the five entities, and no character XML 1.0 forbids.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default: if scalar.value >= 0x20, scalar.value != 0xFFFE, scalar.value != 0xFFFF { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    private static let contentTypes = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
        <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
        <Default Extension="xml" ContentType="application/xml"/>\
        <Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
        <Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
        <Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
        </Types>
        """
    private static let rootRelationships = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
        <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>\
        </Relationships>
        """
    private static func workbook(_ name: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
        xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
        <sheets><sheet name="\(escape(String(name.prefix(31))))" sheetId="1" r:id="rId1"/></sheets></workbook>
        """
    }
    private static let workbookRelationships = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
        <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>\
        <Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>\
        </Relationships>
        """
    /// Style 1: a date (`dd/mm/yyyy`, as Vietnamese documents write it); 2: a date and time.
    private static let styles = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
        <numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/><numFmt numFmtId="165" formatCode="dd/mm/yyyy hh:mm"/></numFmts>\
        <fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>\
        <fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
        <borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
        <cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
        <cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
        <xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
        <xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>\
        </styleSheet>
        """
}

/// `YYYY-MM-DD` as midnight UTC, for serial days.
enum CalendarDateText {
    static func parse(_ text: String) -> Date? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), parts[0].count == 4 else { return nil }
        var components = DateComponents()
        (components.year, components.month, components.day) = (y, m, d)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == d else { return nil }
        return date
    }
}
