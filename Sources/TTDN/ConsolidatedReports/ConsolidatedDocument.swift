import Foundation
import Mustache
import PQ
import TTDNKit
import ZIPFoundation

/// The consolidated report as a DOCX, from the template in `templates/consolidated-report`
/// (`TTDN_TEMPLATE_DIR`): every file of the folder goes into the package as it is, and the
/// `.mustache` ones (the document body, its properties) are rendered first. Loaded once at start,
/// so a missing template stops `ttdn serve` instead of failing a download.
struct ConsolidatedDocument: Sendable {
    static let mediaType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    /// The package's parts in the order they are written: `[Content_Types].xml` first.
    private let parts: [(path: String, content: Part)]

    private enum Part: Sendable {
        case file(Data)
        case template(MustacheTemplate)
    }

    init(directory: URL) throws {
        let root = directory.appendingPathComponent("consolidated-report")
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw CLIError("the consolidated report template is missing: no folder \(root.path) (set TTDN_TEMPLATE_DIR)")
        }
        var parts: [(String, Part)] = []
        let prefix = root.standardizedFileURL.path + "/"
        for case let url as URL in enumerator where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            let path = String(url.standardizedFileURL.path.dropFirst(prefix.count))
            let data = try Data(contentsOf: url)
            if path.hasSuffix(".mustache") {
                parts.append(
                    (String(path.dropLast(".mustache".count)), .template(try MustacheTemplate(string: String(decoding: data, as: UTF8.self)))))
            } else {
                parts.append((path, .file(data)))
            }
        }
        guard parts.contains(where: { $0.0 == "word/document.xml" }), parts.contains(where: { $0.0 == "[Content_Types].xml" }) else {
            throw CLIError("the consolidated report template in \(root.path) needs [Content_Types].xml and word/document.xml.mustache")
        }
        self.parts = parts.sorted { ($0.0 == "[Content_Types].xml" ? "" : $0.0) < ($1.0 == "[Content_Types].xml" ? "" : $1.0) }
    }

    func render(_ report: ConsolidatedReport) throws -> Data {
        let context = Self.context(report)
        let archive = try Archive(data: Data(), accessMode: .create)
        for (path, part) in parts {
            let data: Data
            switch part {
            case .file(let bytes): data = bytes
            case .template(let template): data = Data(template.render(context).precomposedStringWithCanonicalMapping.utf8)
            }
            try archive.addEntry(
                with: path, type: .file, uncompressedSize: Int64(data.count), modificationDate: report.updatedAt, compressionMethod: .deflate
            ) { position, size in data.subdata(in: Int(position)..<Int(position) + size) }
        }
        guard let data = archive.data else { throw CLIError("the DOCX package could not be written") }
        return data
    }

    // MARK: - What the template is given

    /// "Hải Phòng, ngày 05 tháng 02 năm 2023": days below 10 and months 1 and 2 take a leading zero (Decree 30).
    static func placeAndDate(_ place: String, _ day: CalendarDate?, year: Int) -> String {
        guard let day else { return "\(place), ngày     tháng     năm \(year)" }
        let d = day.day < 10 ? "0\(day.day)" : String(day.day)
        let m = day.month <= 2 ? "0\(day.month)" : String(day.month)
        return "\(place), ngày \(d) tháng \(m) năm \(day.year)"
    }

    static func day(_ text: String) -> String {
        guard let day = CalendarDate(text) else { return text }
        return String(format: "%02d/%02d/%04d", day.day, day.month, day.year)
    }

    /// A figure as Vietnamese write it: a decimal comma, shares as percentages.
    static func shown(_ line: ConsolidatedFigureRows.Line) -> String {
        if ["completeness", "timeliness"].contains(line.key), let share = Double(line.value) {
            return String(format: "%.2f %%", share * 100).replacingOccurrences(of: ".", with: ",")
        }
        return line.value.replacingOccurrences(of: ".", with: ",")
    }

    static func context(_ report: ConsolidatedReport) -> [String: Any] {
        let f = report.figures
        let lines = ConsolidatedFigureRows.lines(f)
        func section(_ name: String) -> [ConsolidatedFigureRows.Line] { lines.filter { $0.section == name } }
        func rows(_ cells: [[String]]) -> [[String: Any]] { cells.map { ["cells": $0] } }
        let numerals = ["I", "II", "III", "IV", "V", "VI", "VII"]
        var tables: [[String: Any]] = []
        func add(_ heading: String, note: String? = nil, header: [String], _ cells: [[String]]) {
            var table: [String: Any] = ["heading": "\(numerals[tables.count]). \(heading)", "header": header, "rows": rows(cells)]
            if let note { table["note"] = note }
            tables.append(table)
        }
        let missing = f.compliance.missingUnits.map(\.name)
        add(
            "TÌNH HÌNH GỬI BÁO CÁO CỦA CÁC ĐƠN VỊ",
            note: missing.isEmpty ? "Tất cả các đơn vị đã gửi báo cáo." : "Đơn vị chưa gửi báo cáo: \(missing.joined(separator: "; ")).",
            header: ["Nội dung", "Số liệu"], section("compliance").map { [$0.label, shown($0)] })
        add(
            "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU", note: "Tổng hợp từ các báo cáo đã được Sở chấp nhận.",
            header: ["Chỉ tiêu", "Kết quả", "Kế hoạch", "Số báo cáo"],
            section("indicator").map {
                [$0.label, shown($0), $0.target.map { $0.replacingOccurrences(of: ".", with: ",") } ?? "", String($0.sources.count)]
            })
        if !f.tasks.isEmpty {
            add(
                "TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ",
                note: f.tasks.map { "\($0.planTitle), tính đến ngày \(day($0.asOf))." }.joined(separator: " "),
                header: ["Nội dung", "Số lượng"], section("tasks").filter { !$0.key.hasSuffix(".cancelled") }.map { [$0.label, $0.value] })
        }
        add(
            "TẬP HUẤN, BỒI DƯỠNG NGHIỆP VỤ",
            note: "Đã tổ chức \(f.trainings.held) lớp tập huấn với \(f.trainings.peopleTrained) lượt người tham dự.",
            header: ["Lớp tập huấn", "Số người", "Dự kiến tối đa"],
            f.trainings.sessions.map { ["\($0.title) (\(day($0.heldOn)))", String($0.trained), $0.expectedMax.map(String.init) ?? ""] })
        add(
            "THEO DÕI THÔNG TIN BÁO CHÍ, PHẢN BÁC THÔNG TIN SAI LỆCH", header: ["Nội dung", "Số lượng"],
            section("media").map { [$0.label, $0.value] })
        let year = CalendarDate(f.period.endsOn)?.year ?? 2000
        return [
            "parent_body": report.parentBody ?? "",
            "issuing_body": report.issuingBody,
            "number_line": "Số: \(report.number ?? "       /BC")",
            "place_date": placeAndDate(report.place, report.sentOn, year: report.sentOn?.year ?? year),
            "draft": report.status != .sent,
            "title": report.title,
            "period_line": "Kỳ báo cáo: \(f.period.title), số liệu từ ngày \(day(f.period.startsOn)) đến ngày \(day(f.period.endsOn)).",
            "tables": tables,
            "has_sections": !report.sections.isEmpty,
            "sections_heading": "\(numerals[tables.count]). ĐÁNH GIÁ CHUNG",
            "sections": report.sections.map { ["title": $0.title, "paragraphs": $0.body.split(separator: "\n").map(String.init)] as [String: Any] },
            "recipients": report.recipients,
            "signer_title": (report.signerTitle ?? "GIÁM ĐỐC").uppercased(),
            "signer": report.signer ?? "",
            "created": ISO8601DateFormatter().string(from: report.createdAt),
        ]
    }
}
