import Testing

@testable import Librato

@Suite("JSON")
struct JSONTests {
    @Test("parses every value kind and keeps number spelling and member order")
    func parses() throws {
        let v = try JSONValue.parse(#" {"b":[1,2.50,-3e+2,true,false,null],"a":{"s":"x\"\\\/\n\u00e9\ud83d\udc33"}} "#)
        #expect(v["b"] == .array([.number("1"), .number("2.50"), .number("-3e+2"), .bool(true), .bool(false), .null]))
        #expect(v["a"]?["s"] == .string("x\"\\/\né🐳"))
        #expect(v.objectMembers?.map(\.key) == ["b", "a"])
        #expect(v["b"]?.arrayValue?[1].doubleValue == 2.5)
        #expect(JSONValue.number("60").intValue == 60)
        #expect(JSONValue.number("60.0").intValue == nil)
        #expect(JSONValue.number("6e1").intValue == nil)
    }

    @Test("rejects what RFC 8259 rejects", arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "\"\u{01}\"", "\"\\x\"", "\"\\ud800\"", "tru",
        "{\"a\" 1}", "[1 2]", "1 2", "'x'", "\"unterminated",
    ])
    func rejects(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test("limits nesting depth")
    func depth() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
        #expect(throws: Never.self) { try JSONValue.parse(deep, maxDepth: 200) }
    }

    @Test("writer escapes quotes, backslashes and control characters and round-trips")
    func writer() throws {
        var w = JSONWriter()
        w.object { w in
            w.key("s")
            w.string("a\"b\\c\nd\u{01}é")
            w.key("n")
            w.array { w in
                w.number(1)
                w.number(0.1)
                w.number(-2.5e-5)
                w.int(-7)
                w.bool(true)
            }
            w.key("o")
            w.object { _ in }
        }
        #expect(w.text == #"{"s":"a\"b\\c\nd\u0001é","n":[1,0.1,-2.5e-05,-7,true],"o":{}}"#)
        let parsed = try JSONValue.parse(w.bytes)
        #expect(parsed["s"] == .string("a\"b\\c\nd\u{01}é"))
        #expect(parsed.jsonText == w.text)
    }

    @Test("numbers: integral values below 2^53 print as integers, others in shortest form")
    func numberFormat() {
        #expect(JSONWriter.formatNumber(106496) == "106496")
        #expect(JSONWriter.formatNumber(-0.0) == "0")
        #expect(JSONWriter.formatNumber(88.4) == "88.4")
        #expect(JSONWriter.formatNumber(6.389019682951282e21) == "6.389019682951282e+21")
        #expect(JSONWriter.formatNumber(1e15) == "1000000000000000")
        #expect(JSONWriter.formatNumber(9_007_199_254_740_991) == "9007199254740991")
        #expect(JSONWriter.formatNumber(9_007_199_254_740_992) == "9007199254740992.0")
        #expect(JSONWriter.formatNumber(1e16) == "1e+16")
        #expect(JSONWriter.formatNumber(25_276_510_208) == "25276510208")
    }

    @Test("the writer prints numbers and integers as formatNumber and String(_:) do, digit by digit")
    func writerNumbersAgreeWithFormatNumber() {
        let doubles: [Double] = [0, -0.0, 1, -1, 7, 10, 99, 100, 106496, -2.5e-05, 88.4, 1e15, -1e15, 9_007_199_254_740_991,
                                 -9_007_199_254_740_991, 9_007_199_254_740_992, 1e16, 6.389019682951282e21, 0.1]
        for x in doubles {
            var w = JSONWriter()
            w.number(x)
            #expect(w.text == JSONWriter.formatNumber(x), "\(x)")
        }
        for n in [0, 1, -1, 9, 10, -10, 1_796_202_868, Int.max, Int.min, Int.min + 1] {
            var w = JSONWriter()
            w.int(n)
            #expect(w.text == String(n))
        }
    }
}
