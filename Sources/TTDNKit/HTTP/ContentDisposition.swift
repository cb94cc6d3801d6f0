import Foundation

/// `Content-Disposition` (RFC 6266) both ways: the filename a client sent with an upload, and
/// the header of a download whose name may be Vietnamese (`filename*`, RFC 8187, beside an
/// ASCII `filename` for old clients).
package enum ContentDisposition {
    /// The filename of `attachment; filename="a.pdf"` or `filename*=UTF-8''b%C3%A1o.pdf` (which wins),
    /// without any directory part; nil when there is none.
    package static func filename(_ header: String) -> String? {
        var plain: String?
        var extended: String?
        for parameter in parameters(header) {
            switch parameter.name {
            case "filename": plain = parameter.value
            case "filename*":
                let parts = parameter.value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                if parts.count == 3, parts[0].lowercased() == "utf-8" { extended = String(parts[2]).removingPercentEncoding }
            default: continue
            }
        }
        guard let raw = extended ?? plain else { return nil }
        // A path is not a filename: keep what follows the last separator.
        let name = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let clean = name.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
        return clean.isEmpty ? nil : clean
    }

    /// The parameters after the disposition type, with quoted values unquoted.
    private static func parameters(_ header: String) -> [(name: String, value: String)] {
        var out: [(String, String)] = []
        var rest = Substring(header)
        // The disposition type.
        guard let first = rest.firstIndex(of: ";") else { return [] }
        rest = rest[rest.index(after: first)...]
        while !rest.isEmpty {
            rest = rest.drop(while: { $0 == " " || $0 == "\t" })
            guard let equals = rest.firstIndex(of: "=") else { break }
            let name = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: equals)...].drop(while: { $0 == " " })
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var escaped = false
                while let c = rest.first {
                    rest = rest.dropFirst()
                    if escaped {
                        value.append(c)
                        escaped = false
                    } else if c == "\\" {
                        escaped = true
                    } else if c == "\"" {
                        break
                    } else {
                        value.append(c)
                    }
                }
                rest = rest.drop(while: { $0 != ";" })
            } else {
                let end = rest.firstIndex(of: ";") ?? rest.endIndex
                value = rest[..<end].trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            if rest.first == ";" { rest = rest.dropFirst() }
            out.append((name, value))
        }
        return out
    }

    /// `attachment; filename="bao-cao.pdf"; filename*=UTF-8''b%C3%A1o%20c%C3%A1o.pdf`.
    package static func attachment(filename: String) -> String {
        let ascii = String(
            filename.decomposedStringWithCanonicalMapping.unicodeScalars
                .filter { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" }
                .map(Character.init))
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "!#$&+-.^_`|~")
        let encoded = filename.addingPercentEncoding(withAllowedCharacters: allowed) ?? "file"
        return "attachment; filename=\"\(ascii.isEmpty ? "file" : ascii)\"; filename*=UTF-8''\(encoded)"
    }
}
