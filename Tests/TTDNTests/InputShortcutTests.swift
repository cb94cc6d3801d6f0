import Foundation
import Testing

@testable import TTDN
@testable import TTDNKit

/// Input rules read without Foundation's dear paths, held to those paths.
@Suite("Input read by shortcut, as the long way reads it")
struct InputShortcutTests {
    /// Every scalar the shortcut takes is its own NFC, alone and after a letter, and random
    /// strings of them (with blanks at the ends) trim and normalise exactly as Foundation does.
    @Test func plainTextIsNFCAndTrimsAsFoundationDoes() {
        let taken = (0..<0x300).compactMap(Unicode.Scalar.init) + (0x1EA0...0x1EF9).compactMap(Unicode.Scalar.init)
        for scalar in taken {
            for text in [String(scalar), "a" + String(scalar), String(scalar) + String(scalar)] {
                #expect(InputReader.isPlainlyNFC(text))
                #expect(text.precomposedStringWithCanonicalMapping == text, "U+\(String(scalar.value, radix: 16))")
            }
        }
        #expect(!InputReader.isPlainlyNFC("Ha\u{0300}"))
        #expect(!InputReader.isPlainlyNFC("Hải Phòng".decomposedStringWithCanonicalMapping))
        #expect(InputReader.isPlainlyNFC("Sở Giáo dục và Đào tạo Hải Phòng"))
        var generator = SystemRandomNumberGenerator()
        let blanks: [Unicode.Scalar] = ["\t", "\n", "\u{0B}", "\u{0C}", "\r", " ", "\u{85}", "\u{A0}"]
        for _ in 0..<3_000 {
            var scalars: [Unicode.Scalar] = []
            for _ in 0..<Int.random(in: 0...3, using: &generator) { scalars.append(blanks.randomElement(using: &generator)!) }
            for _ in 0..<Int.random(in: 0...12, using: &generator) {
                scalars.append(Bool.random(using: &generator) ? blanks.randomElement(using: &generator)! : taken.randomElement(using: &generator)!)
            }
            for _ in 0..<Int.random(in: 0...3, using: &generator) { scalars.append(blanks.randomElement(using: &generator)!) }
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars)
            #expect(InputReader.isPlainlyNFC(text))
            let long = text.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(InputReader.trimmedPlainly(text) == long, "\(text.unicodeScalars.map { $0.value })")
            #expect(Array(InputReader.trimmedPlainly(text).unicodeScalars) == Array(long.unicodeScalars))
        }
    }

    @Test func countryAndLanguageCodesAreTheRegularExpressions() {
        let alphabet: [Character] = ["a", "Z", "0", "-", "é", "\n"]
        var samples = [""]
        var frontier = [""]
        for _ in 1...5 {
            frontier = frontier.flatMap { prefix in alphabet.map { prefix + String($0) } }
            samples += frontier
        }
        samples += ["vi", "en", "zh-Hans", "zh-hans-CN", "vie", "viet", "v", "vi-", "vi--x", "vi-x", "vi-abcdefgh", "vi-abcdefghi", "VN", "vn", "V1"]
        // The expressions' `$` also matches before a final line feed; the values reach these
        // checks trimmed (`InputReader.text`), so no such value is ever asked about.
        for text in samples where !text.hasSuffix("\n") {
            #expect(MediaFields.isCountryCode(text) == (text.range(of: "^[A-Za-z]{2}$", options: .regularExpression) != nil), "\(text)")
            #expect(
                MediaFields.isLanguageTag(text) == (text.range(of: "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", options: .regularExpression) != nil),
                "\(text)")
        }
    }

    /// Whatever the shortcut reads, Foundation's styles read as the same instant; and it reads
    /// the usual shapes (it would be no shortcut otherwise).
    @Test func plainTimestampsAreFoundationsInstants() {
        var generator = SystemRandomNumberGenerator()
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        var samples = [
            "2023-05-05T12:34:56Z", "2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z", "2023-04-31T00:00:00Z",
            "2023-05-05T24:00:00Z", "2023-05-05T12:60:00Z", "2023-05-05T12:34:60Z", "2023-05-05T12:34:56z",
            "2023-05-05t12:34:56Z", "2023-05-05 12:34:56Z", "2023-05-05T12:34:56+07:00", "2023-05-05T12:34:56-09:30",
            "2023-05-05T12:34:56+24:00", "2023-05-05T12:34:56+07:60", "2023-05-05T12:34:56+0700", "1901-01-01T00:00:00+23:59",
            "2199-12-31T23:59:59-23:59", "1900-01-01T00:00:00Z", "2200-12-31T00:00:00Z", "2023-13-01T00:00:00Z",
            "2023-00-10T00:00:00Z", "2023-05-00T00:00:00Z", "2023-05-05T12:34:56.5Z", "+023-05-05T12:34:56Z", "2023-05-05T12:34:5 Z",
        ]
        for _ in 0..<3_000 {
            let year = Int.random(in: 1890...2210, using: &generator)
            let month = Int.random(in: 0...13, using: &generator)
            let day = Int.random(in: 0...32, using: &generator)
            let time =
                "\(two(Int.random(in: 0...25, using: &generator))):\(two(Int.random(in: 0...61, using: &generator))):\(two(Int.random(in: 0...61, using: &generator)))"
            let zone = [
                "Z", "+\(two(Int.random(in: 0...25, using: &generator))):\(two(Int.random(in: 0...61, using: &generator)))", "-07:00", "+00:00",
            ]
            .randomElement(using: &generator)!
            samples.append("\(year)-\(two(month))-\(two(day))T\(time)\(zone)")
        }
        var taken = 0
        for text in samples {
            guard let plain = InputReader.plainTimestamp(text) else { continue }
            taken += 1
            #expect(InputReader.foundationTimestamp(text) == plain, "\(text)")
        }
        #expect(InputReader.plainTimestamp("2023-05-05T12:34:56Z") == Date(timeIntervalSince1970: 1_683_290_096))
        #expect(InputReader.plainTimestamp("2023-05-05T19:34:56+07:00") == Date(timeIntervalSince1970: 1_683_290_096))
        #expect(taken > 1_000, "\(taken)")
    }

    @Test func mediaTypesAreReadAsByTrimmingCharacters() {
        func long(_ header: String) -> String {
            header.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        }
        let alphabet: [Character] = ["a", "J", "/", ";", " ", "\t", "é", "\u{3000}"]
        var samples = ["application/json", "Application/JSON; charset=utf-8", " application/json ;x", "\tapplication/json\t", "", ";", "text/csv"]
        var frontier = [""]
        for _ in 1...5 {
            frontier = frontier.flatMap { prefix in alphabet.map { prefix + String($0) } }
            samples += frontier
        }
        for header in samples { #expect(JSONBody.mediaType(header) == long(header), "\(header.unicodeScalars.map { $0.value })") }
    }

    /// Whatever the shortcut normalizes, URLComponents normalizes to the same text (and so also
    /// takes as an absolute http or https URL); and it takes the usual links.
    @Test func plainURLsNormalizeAsURLComponentsDoes() {
        let schemes = ["http", "https", "HTTPS", "Http", "ftp", "https:", "httpx"]
        let credentials = ["", "", "", "u:p@", "u@"]
        let hosts = [
            "example.com", "Example.COM", "a.b.c.vn", "bao-hp.vn", "x.", "localhost", "1.2.3.4", "a..b", "-a.com", "a-.com",
            "xn--bcher-kva.de", "a--b.com", "ex_ample.com", "a.1com", "", String(repeating: "a", count: 64) + ".com", "ví.vn",
            "[::1]", "a.b.", ".a.b", "A1-b2.C3",
        ]
        let ports = ["", "", ":80", ":443", ":8080", ":080", ":", ":65536", ":99999", ":0", ":1"]
        let paths = [
            "", "", "/", "//", "/a", "/a/", "/a//", "/A.b_c~d-e", "/a/../b", "/./", "/%41", "/ä", "/a b", "/a,b", "/a+b",
            "/tin-tuc/hoc-sinh-123.html", "/a/B/c/",
        ]
        let queries = [
            "", "", "?", "?a=1", "?utm_source=x&b=2", "?B=1&a=2&a=1", "?a&&b", "?=x", "?fbclid=1", "?a=b=c", "?UTM_x=1&z",
            "?a=&a", "?a&a=", "?x=1&", "?Gclid=2&id=7", "?id=7&page=2&_ga=1", "?a=%20", "?a=1+2", "?q=hải",
        ]
        let fragments = ["", "", "", "#", "#x", "#a/b?c", "#a b", "#%20", "#a#b"]
        var generator = SystemRandomNumberGenerator()
        var samples = ["https://bench.example/w4/10000-1/0/1", "https://baohaiphong.vn/tin-tuc/hoc-sinh-dat-giai-123.html?utm_source=fb"]
        for _ in 0..<20_000 {
            let parts = [schemes, ["://"], credentials, hosts, ports, paths, queries, fragments].map { $0.randomElement(using: &generator)! }
            samples.append(parts.joined())
        }
        // And as many of the plain pieces only, for the query's filtering and order.
        let plainQueries = [
            "?a=1", "?utm_source=x&b=2", "?B=1&a=2&a=1", "?fbclid=1", "?UTM_x=1&z", "?a=&a", "?a&a=", "?Gclid=2&id=7", "?id=7&page=2&_ga=1",
        ]
        for _ in 0..<5_000 {
            let query = (0..<Int.random(in: 0...3, using: &generator)).map { _ in plainQueries.randomElement(using: &generator)!.dropFirst() }
            let parts = [
                ["http", "https", "HTTPS"].randomElement(using: &generator)!, "://",
                ["Example.COM", "a.b.c.vn", "x.", "A1-b2.C3"].randomElement(using: &generator)!,
                ["", ":80", ":443", ":8080"].randomElement(using: &generator)!,
                ["", "/", "/a/", "/A.b_c~d-e", "/a/B/c/"].randomElement(using: &generator)!,
                query.isEmpty ? "" : "?" + query.joined(separator: "&"), ["", "#x", "#a/b?c"].randomElement(using: &generator)!,
            ]
            samples.append(parts.joined())
        }
        var taken = 0
        for sample in samples {
            guard let plain = CanonicalURL.plainNormalized(sample) else { continue }
            taken += 1
            #expect(plain == CanonicalURL.foundationNormalized(sample), "\(sample)")
        }
        #expect(CanonicalURL.plainNormalized(samples[1]) == "https://baohaiphong.vn/tin-tuc/hoc-sinh-dat-giai-123.html")
        #expect(taken > 5_000, "\(taken)")
    }
}
