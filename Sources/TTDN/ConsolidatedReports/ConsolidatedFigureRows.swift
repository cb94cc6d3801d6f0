import Foundation
import TTDNKit

/// The figures of a consolidated report as lines, the one layout the CSV and the document's
/// tables share: a section, a key, a Vietnamese label, the value, the target and the provenance.
enum ConsolidatedFigureRows {
    struct Line: Sendable, Equatable {
        var section: String
        var key: String
        var label: String
        var value: String
        var target: String? = nil
        var sources: [String] = []
    }

    static let header = ["section", "key", "label", "value", "target", "sources"]

    static func rows(_ figures: ConsolidatedFigures) -> [[String?]] {
        lines(figures).map { [$0.section, $0.key, $0.label, $0.value, $0.target, $0.sources.joined(separator: " ")] }
    }

    /// A number as the CSV writes it: integers without a decimal point.
    static func number(_ value: Double?) -> String {
        guard let value else { return "" }
        return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    static func lines(_ f: ConsolidatedFigures) -> [Line] {
        let c = f.compliance
        var lines: [Line] = [
            Line(section: "compliance", key: "expected", label: "Đơn vị phải báo cáo", value: String(c.expected)),
            Line(section: "compliance", key: "submitted", label: "Đơn vị đã gửi báo cáo", value: String(c.submitted)),
            Line(section: "compliance", key: "on_time", label: "Gửi đúng hạn", value: String(c.onTime)),
            Line(section: "compliance", key: "late", label: "Gửi muộn", value: String(c.late)),
            Line(section: "compliance", key: "missing", label: "Chưa gửi", value: String(c.missing), sources: c.missingUnits.map(\.code)),
            Line(section: "compliance", key: "accepted", label: "Báo cáo đã được chấp nhận", value: String(c.accepted)),
            Line(section: "compliance", key: "completeness", label: "Tỷ lệ gửi báo cáo", value: String(c.completeness)),
            Line(section: "compliance", key: "timeliness", label: "Tỷ lệ gửi đúng hạn", value: String(c.timeliness)),
        ]
        lines += f.indicators.map {
            Line(
                section: "indicator", key: $0.code, label: $0.name, value: number($0.total), target: $0.target.map { number($0) },
                sources: $0.reportIds)
        }
        for plan in f.tasks {
            for (scope, label, p) in [
                ("work_items", "Nhiệm vụ", plan.workItems), ("headings", "Nhóm nhiệm vụ", plan.headings),
                ("assignments", "Nhiệm vụ giao cho đơn vị", plan.assignments),
            ] {
                for (key, what, value) in [
                    ("total", "tổng số", p.total), ("done_on_time", "hoàn thành đúng hạn", p.doneOnTime),
                    ("done_late", "hoàn thành quá hạn", p.doneLate), ("in_progress_on_time", "đang thực hiện trong hạn", p.inProgressOnTime),
                    ("overdue", "quá hạn", p.overdue), ("cancelled", "dừng thực hiện", p.cancelled),
                ] {
                    lines.append(
                        Line(section: "tasks", key: "\(scope).\(key)", label: "\(label): \(what)", value: String(value), sources: [plan.planId]))
                }
            }
        }
        let t = f.trainings
        lines.append(
            Line(section: "trainings", key: "held", label: "Lớp tập huấn đã tổ chức", value: String(t.held), sources: t.sessions.map(\.sessionId)))
        lines.append(Line(section: "trainings", key: "people_trained", label: "Lượt người được tập huấn", value: String(t.peopleTrained)))
        lines += t.sessions.map {
            Line(
                section: "trainings", key: "session.\($0.sessionId)", label: "\($0.title) (\($0.heldOn))", value: String($0.trained),
                target: $0.expectedMax.map(String.init), sources: [$0.sessionId])
        }
        let m = f.media
        lines += [
            Line(section: "media", key: "entries", label: "Tin, bài báo chí được theo dõi", value: String(m.entries)),
            Line(section: "media", key: "misinformation", label: "Thông tin sai lệch", value: String(m.misinformation)),
            Line(
                section: "media", key: "rebutted", label: "Thông tin sai lệch đã được phản bác", value: String(m.rebutted),
                sources: m.rebuttedEntryIds),
        ]
        return lines
    }
}
