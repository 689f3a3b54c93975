import FieldlineCore
import Foundation
import Testing

@Suite("Which addresses a webhook's URL may make the server fetch")
struct NetworkAddressTests {
    @Test(
        "Every way of writing loopback, private, link-local or metadata addresses is read as that address",
        arguments: [
            ("127.0.0.1", "127.0.0.1"), ("127.1", "127.0.0.1"), ("2130706433", "127.0.0.1"),
            ("0x7f000001", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"), ("0x7f.0.0.1", "127.0.0.1"),
            ("0x7f.1", "127.0.0.1"), ("017700000001", "127.0.0.1"), ("127.0.0.1.", "127.0.0.1"),
            ("169.254.169.254", "169.254.169.254"), ("2852039166", "169.254.169.254"),
            ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"), ("10.1", "10.0.0.1"), ("0", "0.0.0.0"),
            // "0x" alone is 0 to inet_aton, and to us.
            ("0x", "0.0.0.0"),
            ("192.168.0.1", "192.168.0.1"), ("0300.0250.0.1", "192.168.0.1"),
        ])
    func ipv4Spellings(host: String, address: String) throws {
        let parsed = try #require(NetworkAddress.literal(host))
        #expect(parsed.description == address)
        #expect(!parsed.isPublic)
    }

    @Test(
        "IPv6 forms that reach inside (loopback, mapped, compatible, NAT64, 6to4, link-local, unique local) are refused",
        arguments: [
            "[::1]", "::1", "[::]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::ffff:169.254.169.254]",
            "[::127.0.0.1]", "[64:ff9b::10.0.0.1]", "[2002:7f00:1::]", "[2002:c0a8:1::1]", "[fe80::1]",
            "[fd00::1]", "[fc12:3456::1]", "[ff02::1]", "[fec0::1]", "[2001:db8::1]", "[::ffff:0:0]",
            "[0:0:0:0:0:ffff:127.0.0.1]", "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
        ])
    func ipv6Inside(host: String) throws {
        let parsed = try #require(NetworkAddress.literal(host), "\(host) should parse")
        #expect(!parsed.isPublic, "\(host) is \(parsed)")
    }

    @Test(
        "Public addresses are public, in either family and any spelling",
        arguments: [
            "8.8.8.8", "134744072", "0x08080808", "54.172.60.0", "[2606:4700:4700::1111]", "[::ffff:8.8.8.8]",
            "[64:ff9b::8.8.8.8]", "[2002:0808:0808::1]", "[2600:1f18:7::1]",
        ])
    func publicAddresses(host: String) throws {
        let parsed = try #require(NetworkAddress.literal(host))
        #expect(parsed.isPublic, "\(host) is \(parsed)")
    }

    @Test(
        "Host names and malformed text are not literals",
        arguments: [
            "api.twilio.com", "localhost", "127.0.0.1.nip.io", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "08.1.1.1",
            "[::1%25eth0]", "[1:2:3:4:5:6:7:8:9]", "[:::]", "[1::2::3]", "", "[::ffff:1.2.3]", "[12345::]",
        ])
    func notLiterals(host: String) {
        #expect(NetworkAddress.literal(host) == nil, "\(host) read as an address")
    }

    @Test("Every IPv4 /8 is judged by its ranges, exhaustively over the first byte with sampled rests")
    func ipv4Exhaustive() {
        var generator = SystemRandomNumberGenerator()
        for first in 0...255 {
            for _ in 0..<64 {
                let rest = UInt32.random(in: 0...0xFF_FFFF, using: &generator)
                let value = UInt32(first) << 24 | rest
                let b = (value >> 16) & 0xFF
                let c = (value >> 8) & 0xFF
                let inside =
                    first == 0 || first == 10 || first == 127 || first >= 224
                    || (first == 100 && (64...127).contains(b)) || (first == 169 && b == 254)
                    || (first == 172 && (16...31).contains(b)) || (first == 192 && b == 168)
                    || (first == 192 && b == 0 && (c == 0 || c == 2)) || (first == 192 && b == 88 && c == 99)
                    || (first == 198 && (b == 18 || b == 19)) || (first == 198 && b == 51 && c == 100)
                    || (first == 203 && b == 0 && c == 113)
                #expect(NetworkAddress.v4(value).isPublic == !inside, "\(NetworkAddress.v4(value))")
                // The mapped IPv6 form is judged the same.
                let mapped: [UInt8] =
                    Array(repeating: 0, count: 10) + [0xFF, 0xFF]
                    + [24, 16, 8, 0].map { UInt8((value >> UInt32($0)) & 0xFF) }
                #expect(NetworkAddress.v6(mapped).isPublic == !inside)
            }
        }
    }

    @Test("The media policy: https on the provider's hosts only; the configured origin as configured")
    func policy() {
        let policy = FetchPolicy(
            hosts: ["api.twilio.com", ".twiliocdn.com", "s3-external-1.amazonaws.com"],
            trustedOrigin: "http://127.0.0.1:8999")
        func allowed(_ url: String) -> Bool { (try? policy.check(url).get()) != nil }
        #expect(allowed("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"))
        #expect(allowed("https://mms.twiliocdn.com/AC1/abc?Expires=1"))
        #expect(allowed("https://API.Twilio.com./x"))
        #expect(allowed("https://s3-external-1.amazonaws.com/media.twiliocdn.com/AC1/x"))
        #expect(allowed("http://127.0.0.1:8999/2010-04-01/x"))
        #expect((try? policy.check("http://127.0.0.1:8999/x").get())?.trusted == true)
        for refused in [
            "http://api.twilio.com/x", "https://api.twilio.com:8443/x", "https://user:pw@api.twilio.com/x",
            "https://twiliocdn.com/x", "https://evil-twiliocdn.com/x", "https://api.twilio.com.evil.example/x",
            "https://127.0.0.1/x", "https://[::1]/x", "https://2130706433/x", "http://127.0.0.1:9000/x",
            "http://localhost:8999/x", "ftp://api.twilio.com/x", "file:///etc/passwd", "gopher://127.0.0.1:25/",
            "https://s3-external-1.amazonaws.com.evil.example/x", "https://evil.s3.amazonaws.com/x",
            "//api.twilio.com/x", "not a url", "https://api%2etwilio.com/x",
        ] {
            #expect(!allowed(refused), "\(refused) should be refused")
        }
    }
}

@Suite("Links in logs keep only the start of their keys")
struct LogRedactionTests {
    @Test(
        "Token-like parts of links are cut; everything else is as written",
        arguments: [
            ("Track: https://x.example/t/Zk3pQm9xV2rT8sLw4nYbHc now", "Track: https://x.example/t/Zk3p… now"),
            (
                "Reset https://x.example/reset?token=abcdefghijklmnopqrstu&u=1",
                "Reset https://x.example/reset?token=abcd…&u=1"
            ),
            ("<a href=\"http://x/t/AAAAAAAAAAAAAAAAAAAA\">", "<a href=\"http://x/t/AAAA…\">"),
            (
                "No links here, just a long word supercalifragilistic",
                "No links here, just a long word supercalifragilistic"
            ),
            ("Short https://x.example/jobs/1042 stays", "Short https://x.example/jobs/1042 stays"),
        ])
    func redaction(input: String, expected: String) {
        #expect(LogRedaction.redactingLinks(input) == expected)
    }
}
