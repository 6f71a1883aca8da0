import BookingDomain
import Foundation
import Testing

@testable import BookingAPI

@Suite struct JSONInputTests {
    static func fields(_ json: String) throws -> JSONFields {
        guard case .object(let object) = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) else {
            throw APIError.badRequest("not an object")
        }
        return JSONFields(object)
    }

    static func message(_ body: () throws -> Any?) -> String? {
        do {
            _ = try body()
            return nil
        } catch let error as APIError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func integersMustBeWholeJSONNumbers() throws {
        let input = try Self.fields(#"{"a": 5, "b": "5", "c": 5.5, "d": true, "e": 1e3, "f": -1}"#)
        #expect(try input.integer("a", in: 1...10) == 5)
        #expect(Self.message { try input.integer("b", in: 1...10) } == "b must be an integer, not a string")
        #expect(Self.message { try input.integer("c", in: 1...10) }?.contains("whole number") == true)
        #expect(Self.message { try input.integer("d", in: 1...10) } == "d must be an integer, not a boolean")
        #expect(try input.integer("e", in: 1...100_000) == 1_000)
        #expect(Self.message { try input.integer("f", in: 1...10) }?.contains("from 1 to 10") == true)
        #expect(Self.message { try input.integer("missing", in: 1...10) } == "missing is required")
    }

    @Test func pricesBecomeMinorUnitsExactly() throws {
        let input = try Self.fields(#"{"a": 19.99, "b": 0, "c": 19.999, "d": -1, "e": "19.99", "f": 0.1, "g": 100}"#)
        #expect(try input.optionalPrice("a") == 1_999)
        #expect(try input.optionalPrice("b") == 0)
        #expect(Self.message { try input.optionalPrice("c") }?.contains("at most 2 decimals") == true)
        #expect(Self.message { try input.optionalPrice("d") }?.contains("≥ 0") == true)
        #expect(Self.message { try input.optionalPrice("e") } == "e must be a number, not a string")
        #expect(try input.optionalPrice("f") == 10)
        #expect(try input.optionalPrice("g") == 10_000)
        #expect(try input.optionalPrice("absent") == nil)
    }

    @Test func stringsAreTrimmedAndBounded() throws {
        let input = try Self.fields(#"{"title": "  Yoga  ", "empty": "   ", "long": "\#(String(repeating: "x", count: 201))", "n": 3}"#)
        #expect(try input.string("title", length: 1...200) == "Yoga")
        #expect(Self.message { try input.string("empty", length: 1...200) } == "empty must be 1 to 200 characters")
        #expect(Self.message { try input.string("long", length: 1...200) } == "long must be 1 to 200 characters")
        #expect(Self.message { try input.string("n", length: 1...200) } == "n must be a string, not a number")
    }

    @Test func timesNeedISO8601AndNaiveTimesAreUTC() throws {
        let input = try Self.fields(
            #"{"z": "2027-03-01T18:00:00Z", "offset": "2027-03-01T20:00:00+02:00", "naive": "2027-03-01T18:00:00", "frac": "2027-03-01T18:00:00.250Z", "bad": "next tuesday", "date": "2027-03-01", "old": "1969-12-31T23:59:59Z", "epoch": "1970-01-01T00:00:00Z"}"#)
        let expected = Timestamp(rawValue: 1_803_924_000_000)
        #expect(try input.optionalTime("z") == expected)
        #expect(try input.optionalTime("offset") == expected)
        #expect(try input.optionalTime("naive") == expected)
        #expect(try input.optionalTime("frac") == Timestamp(rawValue: expected.rawValue + 250))
        #expect(Self.message { try input.optionalTime("bad") }?.contains("ISO 8601") == true)
        #expect(Self.message { try input.optionalTime("date") }?.contains("ISO 8601") == true)
        #expect(Self.message { try input.optionalTime("old") } == "old must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z")
        #expect(try input.optionalTime("epoch") == Timestamp(rawValue: 0))
    }

    @Test func enumsNameTheirChoices() throws {
        let input = try Self.fields(#"{"t": "retreat", "u": "workshop"}"#)
        #expect(try input.optionalEnum("t", SessionType.self) == .retreat)
        #expect(Self.message { try input.optionalEnum("u", SessionType.self) } == "u must be one of: session, retreat")
    }

    @Test func deeplyNestedOrMalformedJSONIsRefusedNotCrashed() {
        let nested = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: (any Error).self) { try JSONDecoder().decode(JSONValue.self, from: Data(nested.utf8)) }
        for text in ["", "{", "{\"a\":}", "nul", "\u{FF}"] {
            #expect(throws: (any Error).self) { try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }
        }
        #expect(throws: (any Error).self) { try JSONDecoder().decode(JSONValue.self, from: Data([0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D])) }
    }

    @Test func duplicateNamesAreFoundInAnyObjectAndOnlyThere() {
        func duplicate(_ json: String) -> String? {
            if case .duplicateName(let name)? = firstLeniency(in: Array(json.utf8)) { return name }
            return nil
        }
        #expect(duplicate(#"{"a":1,"a":2}"#) == "a")
        #expect(duplicate(#"{"a":1,"b":{"c":1,"c":2}}"#) == "c")
        #expect(duplicate(#"{"ab":1,"a\u0062":2}"#) == "ab", "escapes are decoded before comparing")
        #expect(duplicate(#"{"x":[{"a":1,"a":2}]}"#) == "a")
        // Not duplicates: the same name in sibling or nested objects, names as values, quotes and
        // brackets inside strings.
        #expect(duplicate(#"{"a":{"a":1},"b":[{"a":1},{"a":2}]}"#) == nil)
        #expect(duplicate(#"{"a":"a","b":["a","a"],"c":"\",\"a\":{"}"#) == nil)
        #expect(duplicate(#"[{"a":1},{"a":1}]"#) == nil)
        // Linear: 9,000 distinct names in one object.
        let many = "{" + (0..<9_000).map { "\"k\($0)\":1" }.joined(separator: ",") + "}"
        #expect(duplicate(many) == nil)
        #expect(duplicate(String(many.dropLast()) + #","k8999":2}"#) == "k8999")
    }

    @Test func numbersBeyondDecimalAreKeptAndRefusedByTheirField() throws {
        let input = try Self.fields(#"{"a": 1e400, "b": -1e400, "c": 1e-400, "d": \#("9" + String(repeating: "0", count: 399))}"#)
        #expect(input.fields["a"] == .numberOutOfRange)
        for name in ["a", "b", "c", "d"] {
            #expect(Self.message { try input.integer(name, in: 1...10) } == "\(name) must be a whole number from 1 to 10")
            #expect(Self.message { try input.optionalPrice(name) }?.contains("\(name) must be a number") == true)
            #expect(Self.message { try input.optionalString(name, length: 0...10) } == "\(name) must be a string, not a number")
        }
    }

    @Test func trailingCommasAreFoundThoughFoundationTakesThem() throws {
        // The reason for the check: Foundation's decoder accepts these.
        #expect(throws: Never.self) { try JSONDecoder().decode(JSONValue.self, from: Data(#"{"a":[1,],}"#.utf8)) }
        for json in [#"{"a":1,}"#, #"[1,]"#, #"{"a":[1, ]}"#, "{\"a\":{\"b\":1,\n}}"] {
            #expect(firstLeniency(in: Array(json.utf8)) == .trailingComma, "\(json)")
        }
        for json in [#"{"a":",}"}"#, #"{"a":[1],"b":"]"}"#, #"[",]"]"#, #"{}"#, #"[]"#] {
            #expect(firstLeniency(in: Array(json.utf8)) == nil, "\(json)")
        }
    }
}
