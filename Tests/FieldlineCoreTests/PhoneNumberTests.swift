import FieldlineCore
import Testing

@Suite("Phone numbers normalise to E.164")
struct PhoneNumberTests {
    @Test(
        "Common North American spellings become +1 and ten digits",
        arguments: [
            "(512) 555-0143", "512-555-0143", "512.555.0143", "5125550143", "+1 512 555 0143", "1-512-555-0143",
            "+15125550143", " 512 555 0143 ", "001 512 555 0143",
        ])
    func northAmerican(input: String) throws {
        #expect(try PhoneNumber.parse(input).e164 == "+15125550143")
    }

    @Test("International numbers keep their country code")
    func international() throws {
        #expect(try PhoneNumber.parse("+44 20 7946 0958").e164 == "+442079460958")
        #expect(try PhoneNumber.parse("0044 20 7946 0958").e164 == "+442079460958")
    }

    @Test(
        "Malformed numbers are refused with a message about the phone field",
        arguments: [
            "", "   ", "555-0143", "abc", "512-555-014x", "(012) 555-0143", "(512) 155-0143", "+0 123 456 789",
            "+44 12", "512555014312345678", "512+5550143",
        ])
    func refused(input: String) {
        #expect {
            try PhoneNumber.parse(input)
        } throws: { error in
            guard case .invalid(let field, _) = error as? FieldlineError else { return false }
            return field == "phone"
        }
    }

    @Test("North American numbers display as (NPA) NXX-XXXX; others as E.164")
    func display() throws {
        #expect(try PhoneNumber.parse("5125550143").displayed == "(512) 555-0143")
        #expect(try PhoneNumber.parse("+442079460958").displayed == "+442079460958")
    }

    @Test("The same number typed two ways is equal")
    func equality() throws {
        #expect(try PhoneNumber.parse("(512) 555-0143") == PhoneNumber.parse("+1 512.555.0143"))
    }
}

@Suite("Email addresses")
struct EmailAddressTests {
    @Test("Valid addresses are trimmed and lowercased")
    func valid() throws {
        #expect(try EmailAddress.parse("  Dana@Example.COM ").value == "dana@example.com")
    }

    @Test(
        "Invalid addresses are refused",
        arguments: ["", "dana", "dana@", "@example.com", "dana@example", "da na@example.com", "dana@.com", "a@b@c.com"])
    func invalid(input: String) {
        #expect(throws: FieldlineError.self) { try EmailAddress.parse(input) }
    }
}
