import Foundation
import PQ
import TTDNKit

/// RFC 5545 text: CRLF lines folded at 75 octets, escaped TEXT values, all-day VEVENTs.
enum ICalendar {
    static func escape(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\n", "\r\n": out += "\\n"
            case "\r": continue
            default: out.append(ch)
            }
        }
        return out
    }

    /// Folds a content line: at most 75 octets, continuation lines start with a space,
    /// never splitting a UTF-8 character.
    static func fold(_ line: String) -> String {
        var out = ""
        var current = 0
        var limit = 75
        for ch in line {
            let size = String(ch).utf8.count
            if current + size > limit {
                out += "\r\n "
                current = 0
                limit = 74
            }
            out.append(ch)
            current += size
        }
        return out + "\r\n"
    }

    static func basic(_ date: CalendarDate) -> String { date.description.replacingOccurrences(of: "-", with: "") }

    static func calendar(name: String, occurrences: [Occurrence], stamp: Date) -> String {
        let dtstamp = PQTimestamp.format(stamp).prefix(19).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "") + "Z"
        var text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ttdn//Hai Phong DOET foreign information calendar//VI\r\n"
        text += "CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n" + fold("X-WR-CALNAME:" + escape(name)) + "X-WR-TIMEZONE:Asia/Ho_Chi_Minh\r\n"
        for occurrence in occurrences {
            let end = (occurrence.endDate ?? occurrence.date).adding(days: 1)  // DTEND of an all-day event is exclusive
            let summary = occurrence.anniversary.map { "\(occurrence.title) (kỷ niệm \($0) năm)" } ?? occurrence.title
            text += "BEGIN:VEVENT\r\n"
            text += "UID:\(occurrence.eventId.text)-\(basic(occurrence.date))@ttdn\r\n"
            text += "DTSTAMP:\(dtstamp)\r\n"
            text += "DTSTART;VALUE=DATE:\(basic(occurrence.date))\r\n"
            text += "DTEND;VALUE=DATE:\(basic(end))\r\n"
            text += fold("SUMMARY:" + escape(summary))
            text += "CATEGORIES:\(occurrence.kind.rawValue.uppercased())\r\n"
            text += "TRANSP:TRANSPARENT\r\n"
            text += "END:VEVENT\r\n"
        }
        return text + "END:VCALENDAR\r\n"
    }
}
