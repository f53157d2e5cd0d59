#!/usr/bin/env python3
"""Regenerate BinaryTests.swift from the REAL binaryornot (the one cookiecutter uses).

    python3 Tests/ModelFactoryTests/make_binary_cases.py            # rewrites BinaryTests.swift
    python3 Tests/ModelFactoryTests/make_binary_cases.py --tables   # prints the data block of
                                                                    # Sources/ModelFactory/Scaffold/Binary.swift

Needs binaryornot 0.6.0 importable (cookiecutter 2.7.1 pulls it in). Every expected value comes from
CPython itself: `binaryornot.check.is_binary` on files written to a temporary folder, and
`bytes.decode` for the encoding checks binaryornot's features make. The fuzz inputs come from a
SplitMix64 generator that BinaryTests.swift reimplements byte for byte (the generated file checks
that too, through a hash of the inputs).
"""

import base64
import csv
import gzip
import os
import struct
import sys
import tempfile
from importlib.resources import files
from pathlib import Path

import binaryornot
from binaryornot.check import is_binary
from binaryornot.helpers import CHUNK_SIZE, _compute_features

HERE = Path(__file__).resolve().parent
OUT = HERE / "BinaryTests.swift"

# --------------------------------------------------------------------------------------------
# Shared helpers (mirrored in BinaryTests.swift)

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n


class FNV:
    def __init__(self):
        self.h = 0xCBF29CE484222325

    def add(self, data):
        h = self.h
        for b in data:
            h = ((h ^ b) * 0x100000001B3) & MASK
        self.h = h


def utf8(v):
    if v < 0x80:
        return [v]
    if v < 0x800:
        return [0xC0 | v >> 6, 0x80 | v & 0x3F]
    if v < 0x10000:
        return [0xE0 | v >> 12, 0x80 | v >> 6 & 0x3F, 0x80 | v & 0x3F]
    return [0xF0 | v >> 18, 0x80 | v >> 12 & 0x3F, 0x80 | v >> 6 & 0x3F, 0x80 | v & 0x3F]


def fuzz_case(rng):
    """One fuzz input; BinaryTests.swift's `fuzzCase` must stay identical."""
    mode = rng.below(9)
    length = 1 + rng.below((12, 80, 700)[rng.below(3)])
    out = []
    if mode == 0:  # uniform random bytes
        out = [rng.below(256) for _ in range(length)]
    elif mode == 1:  # printable ASCII with p% random bytes
        p = rng.below(101)
        for _ in range(length):
            out.append(rng.below(256) if rng.below(100) < p else 0x20 + rng.below(95))
    elif mode == 2:  # a small alphabet (low entropy)
        k = 1 + rng.below(12)
        alphabet = [rng.below(256) for _ in range(k)]
        out = [alphabet[rng.below(k)] for _ in range(length)]
    elif mode == 3:  # UTF-16-ish: ASCII units with p% random high bytes
        p = rng.below(101)
        big_endian = rng.below(2) == 1
        while len(out) < length:
            ch = 0x20 + rng.below(95)
            hi = rng.below(256) if rng.below(100) < p else 0
            out += [hi, ch] if big_endian else [ch, hi]
    elif mode == 4:  # EUC-ish double bytes
        while len(out) < length:
            if rng.below(10) < 3:
                out.append(0x20 + rng.below(95))
            else:
                out += [0xA1 + rng.below(94), 0xA1 + rng.below(94)]
    elif mode == 5:  # Shift_JIS-ish
        while len(out) < length:
            r = rng.below(10)
            if r < 3:
                out.append(0x20 + rng.below(95))
            elif r < 4:
                out.append(0xA1 + rng.below(63))
            else:
                lead = 0x81 + rng.below(31) if rng.below(2) == 0 else 0xE0 + rng.below(16)
                out += [lead, 0x40 + rng.below(189)]
    elif mode == 6:  # Big5-ish
        while len(out) < length:
            if rng.below(10) < 3:
                out.append(0x20 + rng.below(95))
            else:
                out += [0xA1 + rng.below(89), 0x40 + rng.below(191)]
    elif mode == 7:  # text with p% control characters
        p = rng.below(40)
        for _ in range(length):
            r = rng.below(100)
            if r < p:
                out.append(rng.below(32))
            elif r < p + 10:
                out.append((9, 10, 13)[rng.below(3)])
            else:
                out.append(0x20 + rng.below(95))
    else:  # UTF-8 text
        while len(out) < length:
            r = rng.below(8)
            if r < 4:
                v = 0x20 + rng.below(95)
            elif r < 6:
                v = 0x80 + rng.below(0x780)
            elif r < 7:
                v = 0x800 + rng.below(0xF800)
                if 0xD800 <= v < 0xE000:
                    v = 0x4E00 + (v & 0xFF)
            else:
                v = 0x10000 + rng.below(0x100000)
            out += utf8(v)
    out = out[:length]
    if rng.below(20) == 0:
        out[rng.below(len(out))] = 0
    prefix = {0: [0xFF, 0xFE], 1: [0xFE, 0xFF], 2: [0xEF, 0xBB, 0xBF], 3: [0xFF, 0xFE, 0, 0]}.get(rng.below(12), [])
    return bytes(prefix + out)


FUZZ_SEED = 0x62696E6172796F72  # "binaryor"
FUZZ_COUNT = 20000

CODECS = [  # (Swift case, Python codec)
    ("utf8", "utf-8"), ("utf16LE", "utf-16-le"), ("utf16BE", "utf-16-be"), ("utf32LE", "utf-32-le"),
    ("utf32BE", "utf-32-be"), ("gb2312", "gb2312"), ("big5", "big5"), ("shiftJIS", "shift_jis"),
    ("eucJP", "euc-jp"), ("eucKR", "euc-kr"),
]
U16 = [0x0000, 0x0041, 0x00FF, 0xD7FF, 0xD800, 0xDA00, 0xDBFF, 0xDC00, 0xDD00, 0xDFFF, 0xE000, 0xFFFF]
U32 = [0, 0x41, 0xD7FF, 0xD800, 0xDFFF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF, 0x110000, 0x7FFFFFFF, 0xFFFFFFFF]


def codec_strings(codec):
    """The byte strings whose decodability BinaryTests.swift's `codecStrings` checks, in order."""
    for a in range(256):
        yield bytes([a])
    for a in range(256):
        for b in range(256):
            yield bytes([a, b])
    if codec == "utf8":
        for lead in (0xE0, 0xED, 0xF0, 0xF4):
            for a in range(256):
                for b in range(256):
                    yield bytes([lead, a, b])
    if codec == "eucJP":
        for a in range(256):
            for b in range(256):
                yield bytes([0x8F, a, b])
    if codec == "eucKR":  # KS X 1001 annex 3 make-up sequences
        for x in range(0xA0, 0xD6):
            for y in range(0xA0, 0xD6):
                for z in range(0xA0, 0xD6):
                    yield bytes([0xA4, 0xD4, 0xA4, x, 0xA4, y, 0xA4, z])
        for pos in (2, 4, 6):
            for v in range(256):
                s = bytearray(b"\xa4\xd4\xa4\xa1\xa4\xbf\xa4\xd4")
                s[pos] = v
                yield bytes(s)
    if codec in ("utf16LE", "utf16BE"):
        order = "little" if codec == "utf16LE" else "big"
        for count in (1, 2, 3):
            for odd in (False, True):
                for units in _product(U16, count):
                    yield b"".join(u.to_bytes(2, order) for u in units) + (b"A" if odd else b"")
    if codec in ("utf32LE", "utf32BE"):
        order = "little" if codec == "utf32LE" else "big"
        for count in (1, 2):
            for odd in (False, True):
                for units in _product(U32, count):
                    yield b"".join(u.to_bytes(4, order) for u in units) + (b"\x00" if odd else b"")


def _product(values, count):
    if count == 0:
        yield ()
        return
    for v in values:
        for rest in _product(values, count - 1):
            yield (v,) + rest


def decodes(data, codec):
    try:
        data.decode(codec)
        return True
    except UnicodeDecodeError:
        return False


# --------------------------------------------------------------------------------------------
# Named cases


def named_cases():
    text = "The quick brown fox jumps over the lazy dog.\n"
    jp = "日本語のテキストです。これはテストです。\n"
    zh = "这是一个中文文本文件，用于测试。\n"
    tw = "這是一個繁體中文的測試檔案。\n"
    ko = "이것은 한국어 텍스트 파일입니다.\n"
    ru = "Съешь же ещё этих мягких французских булок.\n"
    rnd = SplitMix64(42)
    random512 = bytes(rnd.below(256) for _ in range(512))
    random100 = bytes(rnd.below(256) for _ in range(100))
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
        "0000000d49444154789c6360000002000005fe02fea7d2a4a60000000049454e44ae426082"
    )
    long_text = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n" * 12).encode()
    assert len(long_text) > CHUNK_SIZE
    cases = [
        ("empty.txt", b""),
        ("hello.txt", b"hello\n"),
        ("a.txt", b"a"),
        ("nul.txt", b"\x00"),
        ("ff.txt", b"\xff"),
        ("README.md", (text * 8).encode("ascii")),
        ("crlf.txt", b"line one\r\nline two\r\n\tindented\r\n"),
        ("utf8.txt", "Héllo wörld, café — naïve résumé ✓ 😀 日本語\n".encode("utf-8")),
        ("utf8-bom.txt", "\ufeffBOM-prefixed UTF-8: café\n".encode("utf-8")),
        ("latin1.txt", "Héllo wörld, café, naïve, résumé, Straße.\n".encode("latin-1")),
        ("cp1252.txt", "“Smart quotes” – and dashes… €100\n".encode("cp1252")),
        ("utf16.txt", (text * 2).encode("utf-16")),  # little-endian with BOM
        ("utf16be-bom.txt", b"\xfe\xff" + (text * 2).encode("utf-16-be")),
        ("utf16le-nobom.txt", (text * 2).encode("utf-16-le")),
        ("utf32.txt", text.encode("utf-32")),
        ("shiftjis.txt", (jp * 3).encode("shift_jis")),
        ("eucjp.txt", (jp * 3).encode("euc-jp")),
        ("gb2312.txt", (zh * 3).encode("gb2312")),
        ("big5.txt", (tw * 3).encode("big5")),
        ("euckr.txt", (ko * 3).encode("euc-kr")),
        ("koi8r.txt", (ru * 3).encode("koi8-r")),
        ("short-sjis.txt", "日本語".encode("shift_jis")),  # under 10 bytes: no CJK features
        ("nul-in-text.txt", b"hello\x00world, this is mostly text\n"),
        ("nuls.txt", b"\x00" * 64),
        ("ansi.log", b"\x1b[31mred\x1b[0m \x1b[1mbold\x1b[0m plain text\n"),
        ("controls.txt", bytes([1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 16, 17, 18, 19, 20]) * 6 + b"ok"),
        ("image", png),
        ("photo", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
        ("doc.txt", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"),
        ("archive.txt", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"hello.txt"),
        ("data.txt", gzip.compress(b"some text to compress " * 10, mtime=0)),
        ("prog", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00"),
        ("tool", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01\x03\x00\x00\x00"),
        ("setup-exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"),
        ("Main.klass", b"\xca\xfe\xba\xbe\x00\x00\x00\x41\x00\x1d"),
        ("store", b"SQLite format 3\x00\x10\x00\x01\x01\x00\x40\x20\x20"),
        ("notes.dat", b"plain text notes in a .dat file\n"),
        ("lib.a", b"plain text in a .a file\n"),
        ("model.step", b"ISO-10303-21;\nHEADER;\nENDSEC;\n"),
        ("cache.db", b"plain text in a .db file\n"),
        ("fake.png", b"not really a png\n"),
        ("photo.PNG", b"upper-case extension\n"),
        (".png", b"hidden file whose name is an extension\n"),
        ("..png", b"two leading dots\n"),
        ("archive.tar.gz", b"text\n"),
        ("file.", b"trailing dot\n"),
        ("Makefile", b"all:\n\techo hi\n"),
        ("clip.m\u212av", b"Kelvin sign lower-cases to k: .mkv\n"),
        ("random.dat", random512),
        ("random100.dat", random100),
        ("long.txt", long_text),
        ("binary-tail.txt", long_text[:CHUNK_SIZE] + bytes(range(256)) * 2),
        ("nul-at-511.txt", long_text[:511] + b"\x00" + long_text[512:]),
        ("nul-at-512.txt", long_text[:512] + b"\x00" + long_text[513:]),
        ("split-utf8.txt", long_text[:511] + "é and more".encode("utf-8")),
        ("sample.json", b'{\n  "name": "{{ cookiecutter.project_slug }}",\n  "version": "0.1.0"\n}\n'),
        ("icon.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>\n'),
        ("alphabet.dat", bytes([0x01, 0x80, 0x01, 0x80, 0x7F]) * 20),
    ]
    return cases


# --------------------------------------------------------------------------------------------
# Output


def swift_string(s):
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= ord(ch) < 0x7F:
            out.append(ch)
        else:
            out.append("\\u{%X}" % ord(ch))
    return '"' + "".join(out) + '"'


def real_is_binary(tmp, name, data):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    try:
        return is_binary(path)
    finally:
        os.remove(path)


def feature_bytes(chunk):
    """The features binaryornot computes, minus entropy (libm's log2 may differ in the last bit
    between platforms), as little-endian IEEE doubles."""
    if not chunk:
        return b""
    features = _compute_features(chunk)
    return b"".join(struct.pack("<d", float(v)) for i, v in enumerate(features) if i != 7)


def generate_tests():
    lines = []
    add = lines.append
    with tempfile.TemporaryDirectory() as tmp:
        cases = [(name, data, real_is_binary(tmp, name, data)) for name, data in named_cases()]
        rng = SplitMix64(FUZZ_SEED)
        inputs_hash, features_hash = FNV(), FNV()
        bits = []
        for _ in range(FUZZ_COUNT):
            data = fuzz_case(rng)
            inputs_hash.add(data)
            features_hash.add(feature_bytes(data[:CHUNK_SIZE]))
            bits.append(real_is_binary(tmp, "fuzz", data))
    digits = []
    for i in range(0, len(bits), 4):
        nibble = sum(1 << k for k, b in enumerate(bits[i : i + 4]) if b)
        digits.append("%x" % nibble)
    codec_expect = []
    for swift_name, py_name in CODECS:
        h, valid = FNV(), 0
        for s in codec_strings(swift_name):
            ok = decodes(s, py_name)
            valid += ok
            h.add(b"\x01" if ok else b"\x00")
        codec_expect.append((swift_name, valid, h.h))

    add("// GENERATED by make_binary_cases.py from binaryornot %s under CPython %d.%d.%d: do not edit."
        % (getattr(binaryornot, "__version__", "0.6.0"), *sys.version_info[:3]))
    add("// Every expected value is what the real `binaryornot.check.is_binary` (cookiecutter's test for")
    add("// \"copy without rendering\") or CPython's `bytes.decode` said.")
    add("import Foundation")
    add("@testable import ModelFactory")
    add("import Testing")
    add("")
    add("@Suite struct BinaryTests {")
    add("    struct Case: Sendable, CustomTestStringConvertible {")
    add("        let name: String")
    add("        let binary: Bool")
    add("        let base64: String")
    add("        var testDescription: String { name }")
    add("    }")
    add("")
    add("    static let cases: [Case] = [")
    for name, data, expected in cases:
        b64 = base64.b64encode(data).decode()
        if len(b64) <= 64:
            add("        Case(name: %s, binary: %s, base64: \"%s\")," % (
                swift_string(name), "true" if expected else "false", b64))
        else:
            add("        Case(")
            add("            name: %s, binary: %s," % (swift_string(name), "true" if expected else "false"))
            add('            base64: """')
            for i in range(0, len(b64), 96):
                add("                " + b64[i : i + 96])
            add('                """')
            add("        ),")
    add("    ]")
    add("")
    add("    @Test(arguments: cases)")
    add("    func matchesBinaryornot(_ testCase: Case) throws {")
    add("        let data = try #require(Data(base64Encoded: testCase.base64, options: .ignoreUnknownCharacters))")
    add("        #expect(Binary.isBinary(data, name: testCase.name) == testCase.binary)")
    add("    }")
    add("")
    add("    // MARK: Fuzz: %d SplitMix64 inputs, decided by the real is_binary (as a file named `fuzz`)" % FUZZ_COUNT)
    add("")
    add("    static let fuzzSeed: UInt64 = 0x%X" % FUZZ_SEED)
    add("    static let fuzzCount = %d" % FUZZ_COUNT)
    add("    static let fuzzInputsHash: UInt64 = 0x%016X" % inputs_hash.h)
    add("    static let fuzzFeaturesHash: UInt64 = 0x%016X" % features_hash.h)
    add("    /// Bit i (nibble i/4, low bit first) is is_binary of input i.")
    add("    static let fuzzExpected = \"\"\"")
    for i in range(0, len(digits), 100):
        add("        " + "".join(digits[i : i + 100]))
    add("        \"\"\"")
    add("")
    add("    @Test func fuzzMatchesBinaryornot() {")
    add("        let expected = Array(Self.fuzzExpected.utf8.filter { $0 != 0x0A })")
    add("        var rng = SplitMix64(Self.fuzzSeed)")
    add("        var inputs = FNV(), features = FNV()")
    add("        var mismatches: [Int] = []")
    add("        for index in 0..<Self.fuzzCount {")
    add("            let bytes = Self.fuzzCase(&rng)")
    add("            inputs.add(bytes)")
    add("            let chunk = Array(bytes.prefix(Binary.chunkSize))")
    add("            if !chunk.isEmpty {")
    add("                for (i, value) in Binary.features(chunk).enumerated() where i != 7 {")
    add("                    withUnsafeBytes(of: value.bitPattern.littleEndian) { features.add($0) }")
    add("                }")
    add("            }")
    add("            let nibble = Int(String(UnicodeScalar(expected[index / 4])), radix: 16)!")
    add("            let want = nibble >> (index % 4) & 1 == 1")
    add("            if Binary.isBinary(Data(bytes), name: \"fuzz\") != want { mismatches.append(index) }")
    add("        }")
    add("        #expect(inputs.value == Self.fuzzInputsHash, \"the Swift fuzz generator drifted from make_binary_cases.py\")")
    add("        #expect(features.value == Self.fuzzFeaturesHash, \"features differ from binaryornot's _compute_features\")")
    add("        #expect(mismatches.isEmpty, \"decisions differ from binaryornot for fuzz inputs \\(mismatches.prefix(20))\")")
    add("    }")
    add("")
    add("    // MARK: Encoding checks, against CPython's codecs (valid count, FNV-1a of the 0/1 results)")
    add("")
    add("    static let codecExpected: [(Binary.Codec, Int, UInt64)] = [")
    for swift_name, valid, h in codec_expect:
        add("        (.%s, %d, 0x%016X)," % (swift_name, valid, h))
    add("    ]")
    add("")
    add("    @Test func decodabilityMatchesCPython() {")
    add("        for (codec, validCount, hash) in Self.codecExpected {")
    add("            var fnv = FNV()")
    add("            var valid = 0")
    add("            Self.codecStrings(codec) { bytes in")
    add("                let ok = Binary.decodes(bytes, as: codec)")
    add("                if ok { valid += 1 }")
    add("                fnv.add(CollectionOfOne(ok ? 1 : 0))")
    add("            }")
    add("            #expect(valid == validCount, \"\\(codec)\")")
    add("            #expect(fnv.value == hash, \"\\(codec)\")")
    add("        }")
    add("    }")
    add("")
    add(SWIFT_HELPERS.rstrip("\n"))
    add("}")
    OUT.write_text("\n".join(lines) + "\n")
    print("wrote %s: %d named cases (%d binary), %d fuzz inputs (%d binary)" % (
        OUT, len(cases), sum(c[2] for c in cases), FUZZ_COUNT, sum(bits)))


SWIFT_HELPERS = r'''
    // MARK: Mirrors of make_binary_cases.py

    struct SplitMix64 {
        var state: UInt64
        init(_ seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func byte(_ base: Int, _ n: Int) -> UInt8 { UInt8(base + below(n)) }
    }

    struct FNV {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        mutating func add(_ bytes: some Sequence<UInt8>) {
            for byte in bytes { value = (value ^ UInt64(byte)) &* 0x100_0000_01B3 }
        }
    }

    static func utf8(_ v: Int) -> [UInt8] {
        if v < 0x80 { return [UInt8(v)] }
        if v < 0x800 { return [UInt8(0xC0 | v >> 6), UInt8(0x80 | v & 0x3F)] }
        if v < 0x10000 { return [UInt8(0xE0 | v >> 12), UInt8(0x80 | v >> 6 & 0x3F), UInt8(0x80 | v & 0x3F)] }
        return [
            UInt8(0xF0 | v >> 18), UInt8(0x80 | v >> 12 & 0x3F), UInt8(0x80 | v >> 6 & 0x3F), UInt8(0x80 | v & 0x3F),
        ]
    }

    static func fuzzCase(_ rng: inout SplitMix64) -> [UInt8] {
        let mode = rng.below(9)
        let length = 1 + rng.below([12, 80, 700][rng.below(3)])
        var out: [UInt8] = []
        switch mode {
        case 0:
            for _ in 0..<length { out.append(rng.byte(0, 256)) }
        case 1:
            let p = rng.below(101)
            for _ in 0..<length { out.append(rng.below(100) < p ? rng.byte(0, 256) : rng.byte(0x20, 95)) }
        case 2:
            let k = 1 + rng.below(12)
            var alphabet: [UInt8] = []
            for _ in 0..<k { alphabet.append(rng.byte(0, 256)) }
            for _ in 0..<length { out.append(alphabet[rng.below(k)]) }
        case 3:
            let p = rng.below(101)
            let bigEndian = rng.below(2) == 1
            while out.count < length {
                let ch = rng.byte(0x20, 95)
                let hi: UInt8 = rng.below(100) < p ? rng.byte(0, 256) : 0
                out += bigEndian ? [hi, ch] : [ch, hi]
            }
        case 4:
            while out.count < length {
                if rng.below(10) < 3 {
                    out.append(rng.byte(0x20, 95))
                } else {
                    let lead = rng.byte(0xA1, 94)
                    out += [lead, rng.byte(0xA1, 94)]
                }
            }
        case 5:
            while out.count < length {
                let r = rng.below(10)
                if r < 3 {
                    out.append(rng.byte(0x20, 95))
                } else if r < 4 {
                    out.append(rng.byte(0xA1, 63))
                } else {
                    let lead = rng.below(2) == 0 ? rng.byte(0x81, 31) : rng.byte(0xE0, 16)
                    out += [lead, rng.byte(0x40, 189)]
                }
            }
        case 6:
            while out.count < length {
                if rng.below(10) < 3 {
                    out.append(rng.byte(0x20, 95))
                } else {
                    let lead = rng.byte(0xA1, 89)
                    out += [lead, rng.byte(0x40, 191)]
                }
            }
        case 7:
            let p = rng.below(40)
            for _ in 0..<length {
                let r = rng.below(100)
                if r < p {
                    out.append(rng.byte(0, 32))
                } else if r < p + 10 {
                    out.append([9, 10, 13][rng.below(3)])
                } else {
                    out.append(rng.byte(0x20, 95))
                }
            }
        default:
            while out.count < length {
                let r = rng.below(8)
                var v: Int
                if r < 4 {
                    v = 0x20 + rng.below(95)
                } else if r < 6 {
                    v = 0x80 + rng.below(0x780)
                } else if r < 7 {
                    v = 0x800 + rng.below(0xF800)
                    if (0xD800..<0xE000).contains(v) { v = 0x4E00 + (v & 0xFF) }
                } else {
                    v = 0x10000 + rng.below(0x100000)
                }
                out += utf8(v)
            }
        }
        out = Array(out.prefix(length))
        if rng.below(20) == 0 { out[rng.below(out.count)] = 0 }
        let prefix: [UInt8] = switch rng.below(12) {
        case 0: [0xFF, 0xFE]
        case 1: [0xFE, 0xFF]
        case 2: [0xEF, 0xBB, 0xBF]
        case 3: [0xFF, 0xFE, 0, 0]
        default: []
        }
        return prefix + out
    }

    static let u16: [UInt32] = [
        0x0000, 0x0041, 0x00FF, 0xD7FF, 0xD800, 0xDA00, 0xDBFF, 0xDC00, 0xDD00, 0xDFFF, 0xE000, 0xFFFF,
    ]
    static let u32: [UInt32] = [
        0, 0x41, 0xD7FF, 0xD800, 0xDFFF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF, 0x110000, 0x7FFF_FFFF, 0xFFFF_FFFF,
    ]

    static func units(_ values: [UInt32], count: Int) -> [[UInt32]] {
        count == 0 ? [[]] : values.flatMap { v in units(values, count: count - 1).map { [v] + $0 } }
    }

    static func codecStrings(_ codec: Binary.Codec, _ body: ([UInt8]) -> Void) {
        for a in 0...255 { body([UInt8(a)]) }
        for a in 0...255 { for b in 0...255 { body([UInt8(a), UInt8(b)]) } }
        switch codec {
        case .utf8:
            for lead: UInt8 in [0xE0, 0xED, 0xF0, 0xF4] {
                for a in 0...255 { for b in 0...255 { body([lead, UInt8(a), UInt8(b)]) } }
            }
        case .eucJP:
            for a in 0...255 { for b in 0...255 { body([0x8F, UInt8(a), UInt8(b)]) } }
        case .eucKR:
            for x in UInt8(0xA0)..<0xD6 {
                for y in UInt8(0xA0)..<0xD6 {
                    for z in UInt8(0xA0)..<0xD6 { body([0xA4, 0xD4, 0xA4, x, 0xA4, y, 0xA4, z]) }
                }
            }
            for pos in [2, 4, 6] {
                for v in 0...255 {
                    var s: [UInt8] = [0xA4, 0xD4, 0xA4, 0xA1, 0xA4, 0xBF, 0xA4, 0xD4]
                    s[pos] = UInt8(v)
                    body(s)
                }
            }
        case .utf16LE, .utf16BE:
            for count in 1...3 {
                for odd in [false, true] {
                    for seq in units(u16, count: count) {
                        var s: [UInt8] = []
                        for u in seq {
                            s += codec == .utf16LE ? [UInt8(u & 0xFF), UInt8(u >> 8)] : [UInt8(u >> 8), UInt8(u & 0xFF)]
                        }
                        body(odd ? s + [0x41] : s)
                    }
                }
            }
        case .utf32LE, .utf32BE:
            for count in 1...2 {
                for odd in [false, true] {
                    for seq in units(u32, count: count) {
                        var s: [UInt8] = []
                        for u in seq {
                            let le = [UInt8(u & 0xFF), UInt8(u >> 8 & 0xFF), UInt8(u >> 16 & 0xFF), UInt8(u >> 24)]
                            s += codec == .utf32LE ? le : le.reversed()
                        }
                        body(odd ? s + [0] : s)
                    }
                }
            }
        default:
            break
        }
    }
'''


# --------------------------------------------------------------------------------------------
# --tables: the data block of Binary.swift


def print_tables():
    data = files("binaryornot.data")

    def rows(name):
        with data.joinpath(name).open() as f:
            return list(csv.DictReader(f))

    exts = sorted({r["extension"].strip().lower() for r in rows("binary_extensions.csv")})
    sigs = [r["magic_hex"].strip() for r in rows("binary_formats.csv") if r["magic_hex"].strip()]
    print("    /// `data/binary_extensions.csv` (lower-cased).")
    print("    static let binaryExtensions: Set<String> = [")
    for i in range(0, len(exts), 12):
        print("        " + " ".join('"%s",' % e for e in exts[i : i + 12]))
    print("    ]")
    print("")
    print("    /// `data/binary_formats.csv`: the non-empty `magic_hex` values, in file order.")
    print("    static let signatures: [[UInt8]] = [")
    for i in range(0, len(sigs), 4):
        print("        " + " ".join('hex("%s"),' % s for s in sigs[i : i + 4]))
    print("    ]")

    def ok(b, enc):
        return decodes(b, enc)

    def table(swift_name, enc, prefix=b"", leads=range(0x80, 0x100), skip=()):
        valid = {(a, b) for a in leads if a not in skip for b in range(256) if ok(prefix + bytes([a, b]), enc)}
        lo_a, hi_a = min(a for a, _ in valid), max(a for a, _ in valid)
        lo_b, hi_b = min(b for _, b in valid), max(b for _, b in valid)
        width = hi_b - lo_b + 1
        bits = bytearray(((hi_a - lo_a + 1) * width + 7) // 8)
        for a, b in valid:
            i = (a - lo_a) * width + (b - lo_b)
            bits[i >> 3] |= 1 << (i & 7)
        b64 = base64.b64encode(bytes(bits)).decode()
        print("    static let %s = PairTable(" % swift_name)
        print("        leads: 0x%02X...0x%02X, trails: 0x%02X...0x%02X, base64: \"\"\"" % (lo_a, hi_a, lo_b, hi_b))
        for i in range(0, len(b64), 96):
            print("        " + b64[i : i + 96])
        print('        """)')

    print("")
    table("gb2312Pairs", "gb2312")
    table("big5Pairs", "big5")
    table("shiftJISPairs", "shift_jis", skip=range(0xA1, 0xE0))
    table("eucJPPairs", "euc-jp", skip=(0x8F,))
    table("eucJPTriples", "euc-jp", prefix=b"\x8f", leads=range(256))
    table("eucKRPairs", "euc-kr")
    base = b"\xa4\xd4\xa4\xa1\xa4\xbf\xa4\xd4"
    for name, pos in (("eucKRChoseong", 3), ("eucKRJungseong", 5), ("eucKRJongseong", 7)):
        vals = [v for v in range(256) if ok(base[:pos] + bytes([v]) + base[pos + 1 :], "euc-kr")]
        print("    static let %s: Set<UInt8> = [" % name)
        for i in range(0, len(vals), 14):
            print("        " + " ".join("0x%02X," % v for v in vals[i : i + 14]))
        print("    ]")


if __name__ == "__main__":
    if sys.argv[1:] == ["--tables"]:
        print_tables()
    else:
        generate_tests()
