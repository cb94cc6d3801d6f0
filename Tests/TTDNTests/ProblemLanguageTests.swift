import Foundation
import TTDN
import TTDNKit
import Testing

/// Problem details in Vietnamese for `Accept-Language: vi`, English otherwise.
@Suite("Problem details in the caller's language")
struct ProblemLanguageTests {
    @Test(arguments: [
        ("vi", "vi"), ("vi-VN", "vi"), ("vi-VN,vi;q=0.9,en;q=0.8", "vi"), ("fr, vi;q=0.5", "vi"), ("en-US,en;q=0.9,vi;q=0.8", "en"),
        ("fr", "en"), ("*", "en"), ("vi;q=0", "en"), ("en;q=0.2, VI;q=0.7", "vi"), ("vietnamese", "en"), ("vi;q=abc", "en"),
    ])
    func acceptLanguageIsNegotiated(header: String, language: String) {
        let chosen = ProblemLanguageMiddleware.choose([header], from: [.vietnamese])
        #expect((chosen?.language ?? "en") == language)
    }

    @Test func templatesCarryTheirValuesAndTranslateThemToo() {
        let catalog = MessageCatalog(
            language: "vi", entries: ["{} does not exist": "{1} không tồn tại", "the unit": "đơn vị", "from {} to {}": "đến {2} từ {1}"])
        #expect(catalog.translate("the unit does not exist") == "đơn vị không tồn tại")
        #expect(catalog.translate("the plan does not exist") == "the plan không tồn tại")
        #expect(catalog.translate("from a to b") == "đến b từ a")
        #expect(catalog.translate("something else") == nil)
    }

    /// Every title and message the sources write has its Vietnamese, with the same values, in NFC.
    @Test func everyMessageInTheSourcesHasItsVietnamese() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        let written = try ProblemMessageScanner.templates(under: sources)
        #expect(written.count > 200)
        let missing = written.subtracting(MessageCatalog.vietnamese.englishTemplates)
        #expect(missing.isEmpty, "no Vietnamese for: \(missing.sorted())")
        for (english, vietnamese) in MessageCatalog.vietnamese.entries {
            let values = english.components(separatedBy: "{}").count - 1
            for index in 0...values + 1 {
                let uses = vietnamese.components(separatedBy: "{\(index)}").count - 1
                #expect(uses == ((1...max(values, 1)).contains(index) && values > 0 ? 1 : 0), "\(english) → \(vietnamese)")
            }
            #expect(vietnamese == vietnamese.precomposedStringWithCanonicalMapping, "\(vietnamese) is not NFC")
            #expect(vietnamese != english || english == "null", "\(english) is not translated")
        }
    }

    @Test func aValidationProblemInVietnameseAndInEnglish() async throws {
        let server = try await TestServer.get()
        let body: [String: Any] = ["code": "bad code!", "name": "", "kind": "planet"]
        let vietnamese = try await server.post("/v1/units", body, headers: ["Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"])
        let english = try await server.post("/v1/units", body)
        #expect(vietnamese.status == 422 && english.status == 422)
        #expect(vietnamese.header("Content-Language") == "vi")
        #expect(english.header("Content-Language") == "en")
        #expect(vietnamese.header("Vary")?.contains("Accept-Language") == true)
        #expect(english.json["title"] as? String == "The request has invalid fields")
        #expect(vietnamese.json["title"] as? String == MessageCatalog.vietnamese.translate("The request has invalid fields"))
        #expect(vietnamese.json["type"] as? String == english.json["type"] as? String)
        let englishErrors = try #require(english.json["errors"] as? [[String: String]])
        let vietnameseErrors = try #require(vietnamese.json["errors"] as? [[String: String]])
        // The same fields, each message in Vietnamese; the detail lists them.
        #expect(vietnameseErrors.map { $0["field"] } == englishErrors.map { $0["field"] })
        #expect(englishErrors.count >= 2)
        for (en, vi) in zip(englishErrors, vietnameseErrors) {
            let message = try #require(en["message"])
            #expect(vi["message"] == MessageCatalog.vietnamese.translate(message), "\(message)")
            #expect(vi["message"] != message)
        }
        let detail = vietnameseErrors.map { "\($0["field"]!): \($0["message"]!)" }.joined(separator: "; ")
        #expect(vietnamese.json["detail"] as? String == detail)
    }

    @Test func notFoundUnauthenticatedAndRoutingProblemsInVietnamese() async throws {
        let server = try await TestServer.get()
        let vi = ["Accept-Language": "vi"]
        let unit = try await server.get("/v1/units/\(UUID().uuidString.lowercased())", headers: vi)
        #expect(unit.status == 404)
        #expect(unit.json["title"] as? String == "Không tìm thấy")
        let detail = try #require(unit.json["detail"] as? String)
        #expect(detail.contains("không tồn tại") && !detail.contains("does not exist"), "\(detail)")
        let anonymous = try await server.get("/v1/units", headers: ["Authorization": "", "Accept-Language": "vi"])
        #expect(anonymous.status == 401 && anonymous.header("Content-Language") == "vi")
        #expect(anonymous.json["title"] as? String == MessageCatalog.vietnamese.translate("Authentication required"))
        let method = try await server.request("PUT", "/v1/units", headers: vi)
        #expect(method.status == 405 && method.header("Content-Language") == "vi")
        #expect(method.json["title"] as? String == MessageCatalog.vietnamese.translate("Method not allowed"))
        let query = try await server.get("/v1/units?limit=abc", headers: vi)
        #expect(query.status == 400)
        let queryErrors = try #require(query.json["errors"] as? [[String: String]])
        #expect(queryErrors.first?["field"] == "limit")
        #expect(queryErrors.first?["message"]?.hasPrefix("must") == false, "\(queryErrors)")
    }
}

/// Finds the titles and messages problems are made of in Swift sources: the string literal in
/// `fail(field, "…")`, `FieldError(field, "…")`, `.failure("…")`, `title: "…"`, `detail: "…"`,
/// `.notFound("…")`, `.badRequest("…")`, `.conflict("…")`, `.unavailable("…")`, each
/// interpolation written `{}` as in the catalogue.
enum ProblemMessageScanner {
    static let opening = try! NSRegularExpression(
        pattern: #"(?:\bfail\((?:[^(),"]|\([^()]*\))+,\s*|FieldError\((?:"[^"]*"|[^(),"]|\([^()]*\))+,\s*|\btitle:\s*|\bdetail:\s*"#
            + #"|\.(?:notFound|badRequest|conflict|unavailable|forbidden|unauthorized)\(\s*|\.failure\(\s*)(?=")"#)

    static func templates(under directory: URL) throws -> Set<String> {
        var found = Set<String>()
        let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        for file in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in opening.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let range = Range(match.range, in: text) else { continue }
                // A message may be written as "…" + "…": the pieces are one template.
                var template = "", position = range.upperBound
                while let (piece, end) = literal(in: text, at: position) {
                    template += piece
                    let rest = text[end...].drop { $0.isWhitespace }
                    guard rest.first == "+" else { break }
                    let next = rest.dropFirst().drop { $0.isWhitespace }
                    guard next.first == "\"" else { break }
                    position = next.startIndex
                }
                if !template.isEmpty { found.insert(template) }
            }
        }
        return found
    }

    /// The literal opening at `start` (a `"`), and where it ends.
    static func literal(in text: String, at start: String.Index) -> (String, String.Index)? {
        var index = text.index(after: start), out = ""
        while index < text.endIndex {
            let character = text[index]
            if character == "\\" {
                let next = text.index(after: index)
                guard next < text.endIndex else { return nil }
                if text[next] == "(" {
                    // An interpolation: skip to its closing parenthesis, over nested literals.
                    var depth = 1
                    index = text.index(after: next)
                    while depth > 0, index < text.endIndex {
                        if text[index] == "\"" {
                            guard let (_, end) = literal(in: text, at: index) else { return nil }
                            index = end
                            continue
                        }
                        if text[index] == "(" { depth += 1 } else if text[index] == ")" { depth -= 1 }
                        index = text.index(after: index)
                    }
                    out += "{}"
                    continue
                }
                out.append(["n": "\n", "t": "\t"][text[next]] ?? text[next])
                index = text.index(after: next)
                continue
            }
            if character == "\"" { return (out, text.index(after: index)) }
            out.append(character)
            index = text.index(after: index)
        }
        return nil
    }
}
