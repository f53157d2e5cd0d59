internal import Foundation

/// Whether `mf scaffold` copies a template file verbatim instead of rendering it: an exact port of
/// `binaryornot.check.is_binary` from binaryornot 0.6.0, which cookiecutter 2.7.1 calls on every
/// template file (with the default `check_extensions=True`):
///
///     is_binary(path) = has_binary_extension(path) or is_binary_string(first 512 bytes)
///
/// `is_binary_string` is: empty → text; a known magic signature at the start → binary; otherwise
/// the trained decision tree of `binaryornot/tree.py` over the 24 features `_compute_features`
/// derives from the chunk. Some of those features are "does the chunk decode as X" for UTF-8,
/// UTF-16/32 LE/BE and the CPython codecs gb2312, big5, shift_jis, euc-jp and euc-kr; they are
/// ported as exact validity checks (no conversion): the UTF ones follow CPython's strict decoders
/// (surrogates, truncated and over-long sequences are errors), the CJK ones replay CPython's
/// `_codecs_cn/_tw/_jp/_kr` decoders over bitmaps of the byte sequences they accept, extracted from
/// CPython itself (`make_binary_cases.py --tables` prints the data block at the end of this file).
/// binaryornot uses no chardet. The only platform dependence is `log2` in the entropy feature,
/// which is the C library's, as it is for CPython's `math.log2`.
enum Binary {
    /// `binaryornot.helpers.CHUNK_SIZE`: how much of a file `get_starting_chunk` reads.
    static let chunkSize = 512

    /// `is_binary`: `data` is the whole file, `name` its file name.
    static func isBinary(_ data: Data, name: String) -> Bool {
        if hasBinaryExtension(name) { return true }
        return isBinaryString(Array(data.prefix(chunkSize)))
    }

    /// `has_binary_extension`: `Path(name).suffix.lower().lstrip(".")` is in
    /// `data/binary_extensions.csv`. Like `PurePath.suffix`, the suffix starts at the last dot of the
    /// last path component, unless that dot is its first or last character (".png", "file.").
    static func hasBinaryExtension(_ name: String) -> Bool {
        // PurePath.name of a POSIX path: empty and "." components are dropped.
        let component = name.split(separator: "/").last { $0 != "." } ?? ""
        let scalars = Array(component.unicodeScalars)  // str.rfind counts code points
        guard let dot = scalars.lastIndex(of: "."), dot > 0, dot < scalars.count - 1 else { return false }
        var suffix = String.UnicodeScalarView()
        suffix.append(contentsOf: scalars[(dot + 1)...])
        let ext = String(suffix).lowercased()
        // Python compares code points; Swift's String equality is canonical equivalence, which
        // agrees for ASCII.
        return ext.utf8.allSatisfy { $0 < 0x80 } && binaryExtensions.contains(ext)
    }

    /// `is_binary_string` on a starting chunk.
    static func isBinaryString(_ chunk: [UInt8]) -> Bool {
        if chunk.isEmpty { return false }
        if hasKnownSignature(chunk) { return true }
        return decisionTree(features(chunk))
    }

    /// `_has_known_binary_signature`: the chunk starts with a magic number from
    /// `data/binary_formats.csv`.
    static func hasKnownSignature(_ chunk: [UInt8]) -> Bool {
        signatures.contains { chunk.starts(with: $0) }
    }

    /// `_compute_features` (`chunk` must not be empty):
    ///  0 null ratio, 1 control ratio (0x01-0x08, 0x0B, 0x0C, 0x0E-0x1F), 2 printable ASCII ratio,
    ///  3 high-byte ratio, 4 decodes as UTF-8, 5/6 null ratio of even/odd positions, 7 byte entropy,
    ///  8-12 BOM: UTF-32 LE, UTF-32 BE, UTF-16 LE (and not UTF-32 LE), UTF-16 BE, UTF-8,
    ///  13-16 decodes as UTF-16 LE/BE (10+ bytes), UTF-32 LE/BE (16+ bytes),
    ///  17 longest run of printable ASCII/tab/LF/CR over length,
    ///  18-22 decodes as gb2312, big5, shift_jis, euc-jp, euc-kr (10+ bytes), 23 known signature.
    static func features(_ chunk: [UInt8]) -> [Double] {
        let n = chunk.count
        var nulls = 0
        var controls = 0
        var printable = 0
        var high = 0
        var evenNulls = 0
        var oddNulls = 0
        var run = 0
        var longestRun = 0
        var histogram = [Int](repeating: 0, count: 256)
        for (i, byte) in chunk.enumerated() {
            histogram[Int(byte)] += 1
            if byte == 0 {
                nulls += 1
                if i % 2 == 0 { evenNulls += 1 } else { oddNulls += 1 }
            }
            let whitespace = byte == 9 || byte == 10 || byte == 13
            if byte < 0x20 && !whitespace { controls += 1 }
            if (0x20...0x7E).contains(byte) { printable += 1 }
            if byte >= 0x80 { high += 1 }
            if (0x20...0x7E).contains(byte) || whitespace {
                run += 1
                longestRun = max(longestRun, run)
            } else {
                run = 0
            }
        }
        let length = Double(n)
        var entropy = 0.0
        for count in histogram where count > 0 {  // in byte order, as Python sums it
            let p = Double(count) / length
            entropy -= p * log2(p)
        }
        let evenTotal = (n + 1) / 2
        let oddTotal = n / 2
        func flag(_ value: Bool) -> Double { value ? 1 : 0 }
        func decodes10(_ codec: Codec) -> Double { flag(n >= 10 && decodes(chunk, as: codec)) }
        func decodes16(_ codec: Codec) -> Double { flag(n >= 16 && decodes(chunk, as: codec)) }
        let bomUTF32LE = chunk.starts(with: [0xFF, 0xFE, 0x00, 0x00])
        return [
            Double(nulls) / length,
            Double(controls) / length,
            Double(printable) / length,
            Double(high) / length,
            flag(decodes(chunk, as: .utf8)),
            evenTotal > 0 ? Double(evenNulls) / Double(evenTotal) : 0,
            oddTotal > 0 ? Double(oddNulls) / Double(oddTotal) : 0,
            entropy,
            flag(bomUTF32LE),
            flag(chunk.starts(with: [0x00, 0x00, 0xFE, 0xFF])),
            flag(chunk.starts(with: [0xFF, 0xFE]) && !bomUTF32LE),
            flag(chunk.starts(with: [0xFE, 0xFF])),
            flag(chunk.starts(with: [0xEF, 0xBB, 0xBF])),
            decodes10(.utf16LE),
            decodes10(.utf16BE),
            decodes16(.utf32LE),
            decodes16(.utf32BE),
            Double(longestRun) / length,
            decodes10(.gb2312),
            decodes10(.big5),
            decodes10(.shiftJIS),
            decodes10(.eucJP),
            decodes10(.eucKR),
            flag(hasKnownSignature(chunk)),
        ]
    }

    // MARK: Encodings

    /// The codecs whose `bytes.decode(codec)` (strict) `_compute_features` tries.
    enum Codec: Sendable, CaseIterable {
        case utf8, utf16LE, utf16BE, utf32LE, utf32BE, gb2312, big5, shiftJIS, eucJP, eucKR
    }

    /// Whether CPython's `bytes.decode` with that codec succeeds on all of `bytes`.
    static func decodes(_ bytes: [UInt8], as codec: Codec) -> Bool {
        switch codec {
        case .utf8: isUTF8(bytes)
        case .utf16LE: isUTF16(bytes, bigEndian: false)
        case .utf16BE: isUTF16(bytes, bigEndian: true)
        case .utf32LE: isUTF32(bytes, bigEndian: false)
        case .utf32BE: isUTF32(bytes, bigEndian: true)
        case .gb2312: isDoubleByte(bytes, codec, gb2312Pairs)
        case .big5: isDoubleByte(bytes, codec, big5Pairs)
        case .shiftJIS: isDoubleByte(bytes, codec, shiftJISPairs)
        case .eucJP: isDoubleByte(bytes, codec, eucJPPairs)
        case .eucKR: isDoubleByte(bytes, codec, eucKRPairs)
        }
    }

    /// Well-formed UTF-8 (Unicode table 3-7), which is what CPython's strict decoder accepts.
    private static func isUTF8(_ bytes: [UInt8]) -> Bool {
        var i = 0
        while i < bytes.count {
            let lead = bytes[i]
            if lead < 0x80 {
                i += 1
                continue
            }
            let length: Int
            let second: ClosedRange<UInt8>
            switch lead {
            case 0xC2...0xDF: (length, second) = (2, 0x80...0xBF)
            case 0xE0: (length, second) = (3, 0xA0...0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (length, second) = (3, 0x80...0xBF)
            case 0xED: (length, second) = (3, 0x80...0x9F)  // no surrogates
            case 0xF0: (length, second) = (4, 0x90...0xBF)
            case 0xF1...0xF3: (length, second) = (4, 0x80...0xBF)
            case 0xF4: (length, second) = (4, 0x80...0x8F)  // nothing above U+10FFFF
            default: return false
            }
            guard i + length <= bytes.count, second.contains(bytes[i + 1]) else { return false }
            for k in 2..<length where !(0x80...0xBF).contains(bytes[i + k]) { return false }
            i += length
        }
        return true
    }

    /// An even number of bytes whose surrogates all pair up.
    private static func isUTF16(_ bytes: [UInt8], bigEndian: Bool) -> Bool {
        guard bytes.count % 2 == 0 else { return false }
        func unit(_ j: Int) -> UInt16 {
            let (hi, lo) = bigEndian ? (bytes[j], bytes[j + 1]) : (bytes[j + 1], bytes[j])
            return UInt16(hi) << 8 | UInt16(lo)
        }
        var i = 0
        while i < bytes.count {
            switch unit(i) {
            case 0xD800...0xDBFF:
                guard i + 2 < bytes.count, (0xDC00...0xDFFF).contains(unit(i + 2)) else { return false }
                i += 4
            case 0xDC00...0xDFFF:
                return false
            default:
                i += 2
            }
        }
        return true
    }

    /// A multiple of four bytes, each code point at most U+10FFFF and not a surrogate.
    private static func isUTF32(_ bytes: [UInt8], bigEndian: Bool) -> Bool {
        guard bytes.count % 4 == 0 else { return false }
        for i in stride(from: 0, to: bytes.count, by: 4) {
            let (b0, b1, b2, b3) = (UInt32(bytes[i]), UInt32(bytes[i + 1]), UInt32(bytes[i + 2]), UInt32(bytes[i + 3]))
            let value = bigEndian ? b0 << 24 | b1 << 16 | b2 << 8 | b3 : b3 << 24 | b2 << 16 | b1 << 8 | b0
            if value > 0x10FFFF || (0xD800...0xDFFF).contains(value) { return false }
        }
        return true
    }

    /// CPython's stateless CJK decoders: bytes below 0x80 are ASCII (shift_jis, built non-strict,
    /// too); shift_jis also takes 0xA1-0xDF alone (half-width katakana); euc-jp's 0x8F starts a
    /// three-byte JIS X 0212 character; euc-kr's 0xA4 0xD4 starts an eight-byte KS X 1001 annex 3
    /// make-up sequence (A4 D4 A4 cho A4 jung A4 jong), so a lone Hangul filler is an error; every
    /// other lead takes one trail byte from the codec's table. Any error, including a character cut
    /// off at the end, fails the whole decode.
    private static func isDoubleByte(_ bytes: [UInt8], _ codec: Codec, _ pairs: PairTable) -> Bool {
        let n = bytes.count
        var i = 0
        while i < n {
            let lead = bytes[i]
            if lead < 0x80 || (codec == .shiftJIS && (0xA1...0xDF).contains(lead)) {
                i += 1
                continue
            }
            if codec == .eucJP && lead == 0x8F {
                guard i + 3 <= n, eucJPTriples.contains(bytes[i + 1], bytes[i + 2]) else { return false }
                i += 3
                continue
            }
            guard i + 2 <= n else { return false }
            if codec == .eucKR && lead == 0xA4 && bytes[i + 1] == 0xD4 {
                guard i + 8 <= n, bytes[i + 2] == 0xA4, bytes[i + 4] == 0xA4, bytes[i + 6] == 0xA4,
                    eucKRChoseong.contains(bytes[i + 3]), eucKRJungseong.contains(bytes[i + 5]),
                    eucKRJongseong.contains(bytes[i + 7])
                else { return false }
                i += 8
                continue
            }
            guard pairs.contains(lead, bytes[i + 1]) else { return false }
            i += 2
        }
        return true
    }

    /// The byte pairs (lead, trail) a CJK codec decodes to a character: a bitmap over the box
    /// `leads` × `trails`, bit `(lead - leads.lowerBound) * trails.count + (trail - trails.lowerBound)`,
    /// least significant bit first.
    struct PairTable: Sendable {
        let leads: ClosedRange<UInt8>
        let trails: ClosedRange<UInt8>
        let bits: [UInt8]

        init(leads: ClosedRange<UInt8>, trails: ClosedRange<UInt8>, base64: String) {
            self.leads = leads
            self.trails = trails
            let bits = Data(base64Encoded: base64, options: .ignoreUnknownCharacters).map { [UInt8]($0) } ?? []
            precondition(bits.count == (leads.count * trails.count + 7) / 8, "corrupt PairTable")
            self.bits = bits
        }

        func contains(_ lead: UInt8, _ trail: UInt8) -> Bool {
            guard leads.contains(lead), trails.contains(trail) else { return false }
            let i = Int(lead - leads.lowerBound) * trails.count + Int(trail - trails.lowerBound)
            return bits[i >> 3] >> (i & 7) & 1 == 1
        }
    }

    private static func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.utf8)
        return stride(from: 0, to: digits.count, by: 2).map {
            UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)!
        }
    }

    // MARK: Decision tree

    /// `binaryornot/tree.py`'s `is_binary(features)`, node for node (transcribed mechanically and checked
    /// against the Python AST: same features, thresholds, `<=` tests and leaves).
    private static func decisionTree(_ f: [Double]) -> Bool {
        if f[1] <= 0.000977 {  // control_ratio
            if f[17] <= 0.000977 {  // longest_printable_run
                if f[4] <= 0.500000 {  // utf8_valid
                    if f[22] <= 0.500000 {  // try_euc_kr
                        if f[7] <= 1.953445 {  // byte_entropy
                            return true  // binary (100.0%, n=1)
                        } else {
                            if f[7] <= 2.749470 {  // byte_entropy
                                return false  // text (100.0%, n=1)
                            } else {
                                if f[14] <= 0.500000 {  // try_utf16be
                                    return true  // binary (100.0%, n=1)
                                } else {
                                    return true  // binary (100.0%, n=1)
                                }
                            }
                        }
                    } else {
                        return false  // text (100.0%, n=1)
                    }
                } else {
                    return false  // text (100.0%, n=1)
                }
            } else {
                if f[4] <= 0.500000 {  // utf8_valid
                    if f[17] <= 0.063636 {  // longest_printable_run
                        if f[7] <= 2.021329 {  // byte_entropy
                            return true  // binary (100.0%, n=1)
                        } else {
                            if f[13] <= 0.500000 {  // try_utf16le
                                return false  // text (100.0%, n=1)
                            } else {
                                return false  // text (100.0%, n=1)
                            }
                        }
                    } else {
                        if f[7] <= 3.047898 {  // byte_entropy
                            return false  // text (100.0%, n=1)
                        } else {
                            if f[2] <= 0.758706 {  // printable_ascii_ratio
                                if f[17] <= 0.134848 {  // longest_printable_run
                                    if f[3] <= 0.633612 {  // high_byte_ratio
                                        if f[7] <= 3.851786 {  // byte_entropy
                                            return false  // text (100.0%, n=1)
                                        } else {
                                            if f[3] <= 0.483333 {  // high_byte_ratio
                                                return false  // text (100.0%, n=1)
                                            } else {
                                                if f[17] <= 0.129167 {  // longest_printable_run
                                                    return true  // binary (100.0%, n=1)
                                                } else {
                                                    return false  // text (100.0%, n=1)
                                                }
                                            }
                                        }
                                    } else {
                                        if f[2] <= 0.145455 {  // printable_ascii_ratio
                                            return false  // text (100.0%, n=1)
                                        } else {
                                            return true  // binary (100.0%, n=1)
                                        }
                                    }
                                } else {
                                    if f[19] <= 0.500000 {  // try_big5
                                        if f[7] <= 3.572021 {  // byte_entropy
                                            if f[3] <= 0.490000 {  // high_byte_ratio
                                                if f[2] <= 0.651515 {  // printable_ascii_ratio
                                                    return false  // text (100.0%, n=1)
                                                } else {
                                                    return true  // binary (100.0%, n=1)
                                                }
                                            } else {
                                                if f[7] <= 3.370112 {  // byte_entropy
                                                    return true  // binary (100.0%, n=1)
                                                } else {
                                                    if f[3] <= 0.651515 {  // high_byte_ratio
                                                        if f[17] <= 0.318182 {  // longest_printable_run
                                                            return true  // binary (58.3%, n=1)
                                                        } else {
                                                            return true  // binary (100.0%, n=1)
                                                        }
                                                    } else {
                                                        return true  // binary (100.0%, n=1)
                                                    }
                                                }
                                            }
                                        } else {
                                            if f[2] <= 0.615079 {  // printable_ascii_ratio
                                                if f[20] <= 0.500000 {  // try_shift_jis
                                                    if f[13] <= 0.500000 {  // try_utf16le
                                                        return true  // binary (100.0%, n=1)
                                                    } else {
                                                        return true  // binary (100.0%, n=1)
                                                    }
                                                } else {
                                                    if f[17] <= 0.176923 {  // longest_printable_run
                                                        return false  // text (100.0%, n=1)
                                                    } else {
                                                        return true  // binary (100.0%, n=1)
                                                    }
                                                }
                                            } else {
                                                if f[17] <= 0.252381 {  // longest_printable_run
                                                    return false  // text (100.0%, n=1)
                                                } else {
                                                    return true  // binary (100.0%, n=1)
                                                }
                                            }
                                        }
                                    } else {
                                        if f[7] <= 3.889752 {  // byte_entropy
                                            return true  // binary (100.0%, n=1)
                                        } else {
                                            return false  // text (100.0%, n=1)
                                        }
                                    }
                                }
                            } else {
                                return false  // text (100.0%, n=1)
                            }
                        }
                    }
                } else {
                    return false  // text (100.0%, n=1)
                }
            }
        } else {
            if f[0] <= 0.163978 {  // null_ratio
                if f[4] <= 0.500000 {  // utf8_valid
                    if f[7] <= 3.264621 {  // byte_entropy
                        if f[17] <= 0.022678 {  // longest_printable_run
                            if f[2] <= 0.000977 {  // printable_ascii_ratio
                                if f[5] <= 0.001953 {  // even_null_ratio
                                    return false  // text (100.0%, n=1)
                                } else {
                                    return true  // binary (100.0%, n=1)
                                }
                            } else {
                                return true  // binary (100.0%, n=1)
                            }
                        } else {
                            if f[1] <= 0.095455 {  // control_ratio
                                if f[17] <= 0.306818 {  // longest_printable_run
                                    if f[1] <= 0.055728 {  // control_ratio
                                        return false  // text (100.0%, n=1)
                                    } else {
                                        return false  // text (100.0%, n=1)
                                    }
                                } else {
                                    return true  // binary (100.0%, n=1)
                                }
                            } else {
                                return false  // text (100.0%, n=1)
                            }
                        }
                    } else {
                        if f[10] <= 0.500000 {  // bom_utf16le
                            if f[2] <= 0.455534 {  // printable_ascii_ratio
                                if f[3] <= 0.790570 {  // high_byte_ratio
                                    if f[1] <= 0.485714 {  // control_ratio
                                        if f[7] <= 3.540884 {  // byte_entropy
                                            if f[7] <= 3.528408 {  // byte_entropy
                                                if f[2] <= 0.316667 {  // printable_ascii_ratio
                                                    if f[2] <= 0.286364 {  // printable_ascii_ratio
                                                        if f[17] <= 0.095455 {  // longest_printable_run
                                                            return true  // binary (87.5%, n=0)
                                                        } else {
                                                            return true  // binary (100.0%, n=1)
                                                        }
                                                    } else {
                                                        if f[13] <= 0.500000 {  // try_utf16le
                                                            return false  // text (100.0%, n=1)
                                                        } else {
                                                            return true  // binary (100.0%, n=1)
                                                        }
                                                    }
                                                } else {
                                                    return true  // binary (100.0%, n=1)
                                                }
                                            } else {
                                                return false  // text (100.0%, n=1)
                                            }
                                        } else {
                                            if f[2] <= 0.446657 {  // printable_ascii_ratio
                                                return true  // binary (100.0%, n=1)
                                            } else {
                                                if f[17] <= 0.066638 {  // longest_printable_run
                                                    if f[2] <= 0.450099 {  // printable_ascii_ratio
                                                        return false  // text (100.0%, n=1)
                                                    } else {
                                                        return true  // binary (100.0%, n=1)
                                                    }
                                                } else {
                                                    return true  // binary (100.0%, n=1)
                                                }
                                            }
                                        }
                                    } else {
                                        return false  // text (100.0%, n=1)
                                    }
                                } else {
                                    return false  // text (100.0%, n=1)
                                }
                            } else {
                                if f[3] <= 0.425959 {  // high_byte_ratio
                                    if f[3] <= 0.394552 {  // high_byte_ratio
                                        if f[7] <= 4.209417 {  // byte_entropy
                                            if f[7] <= 4.175213 {  // byte_entropy
                                                if f[3] <= 0.100962 {  // high_byte_ratio
                                                    return false  // text (100.0%, n=1)
                                                } else {
                                                    if f[3] <= 0.248047 {  // high_byte_ratio
                                                        return true  // binary (100.0%, n=1)
                                                    } else {
                                                        if f[17] <= 0.106443 {  // longest_printable_run
                                                            return false  // text (100.0%, n=1)
                                                        } else {
                                                            return true  // binary (92.9%, n=1)
                                                        }
                                                    }
                                                }
                                            } else {
                                                return false  // text (100.0%, n=1)
                                            }
                                        } else {
                                            if f[23] <= 0.500000 {  // has_magic_signature
                                                return true  // binary (100.0%, n=1)
                                            } else {
                                                return true  // binary (100.0%, n=1)
                                            }
                                        }
                                    } else {
                                        if f[17] <= 0.082906 {  // longest_printable_run
                                            return false  // text (100.0%, n=1)
                                        } else {
                                            if f[1] <= 0.025000 {  // control_ratio
                                                return false  // text (100.0%, n=1)
                                            } else {
                                                if f[7] <= 3.520764 {  // byte_entropy
                                                    return false  // text (100.0%, n=1)
                                                } else {
                                                    if f[1] <= 0.122500 {  // control_ratio
                                                        return true  // binary (100.0%, n=1)
                                                    } else {
                                                        if f[0] <= 0.033333 {  // null_ratio
                                                            return false  // text (100.0%, n=1)
                                                        } else {
                                                            return true  // binary (100.0%, n=1)
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                } else {
                                    if f[17] <= 0.098599 {  // longest_printable_run
                                        if f[1] <= 0.012902 {  // control_ratio
                                            return true  // binary (100.0%, n=1)
                                        } else {
                                            if f[23] <= 0.500000 {  // has_magic_signature
                                                return false  // text (100.0%, n=1)
                                            } else {
                                                if f[3] <= 0.458087 {  // high_byte_ratio
                                                    return true  // binary (100.0%, n=1)
                                                } else {
                                                    return true  // binary (100.0%, n=1)
                                                }
                                            }
                                        }
                                    } else {
                                        if f[7] <= 4.453697 {  // byte_entropy
                                            if f[3] <= 0.472136 {  // high_byte_ratio
                                                if f[17] <= 0.121324 {  // longest_printable_run
                                                    return false  // text (100.0%, n=1)
                                                } else {
                                                    if f[17] <= 0.302885 {  // longest_printable_run
                                                        if f[7] <= 3.539612 {  // byte_entropy
                                                            return false  // text (100.0%, n=1)
                                                        } else {
                                                            return true  // binary (100.0%, n=1)
                                                        }
                                                    } else {
                                                        return false  // text (100.0%, n=1)
                                                    }
                                                }
                                            } else {
                                                return true  // binary (100.0%, n=1)
                                            }
                                        } else {
                                            return true  // binary (100.0%, n=1)
                                        }
                                    }
                                }
                            }
                        } else {
                            if f[14] <= 0.500000 {  // try_utf16be
                                return false  // text (100.0%, n=1)
                            } else {
                                return false  // text (100.0%, n=1)
                            }
                        }
                    }
                } else {
                    if f[1] <= 0.450000 {  // control_ratio
                        if f[1] <= 0.006212 {  // control_ratio
                            return true  // binary (100.0%, n=1)
                        } else {
                            return false  // text (100.0%, n=1)
                        }
                    } else {
                        return true  // binary (100.0%, n=1)
                    }
                }
            } else {
                if f[23] <= 0.500000 {  // has_magic_signature
                    if f[3] <= 0.082843 {  // high_byte_ratio
                        if f[6] <= 0.282534 {  // odd_null_ratio
                            return false  // text (100.0%, n=1)
                        } else {
                            if f[7] <= 3.088801 {  // byte_entropy
                                if f[0] <= 0.822852 {  // null_ratio
                                    if f[2] <= 0.291667 {  // printable_ascii_ratio
                                        return false  // text (100.0%, n=1)
                                    } else {
                                        if f[1] <= 0.521739 {  // control_ratio
                                            return false  // text (100.0%, n=1)
                                        } else {
                                            return true  // binary (100.0%, n=1)
                                        }
                                    }
                                } else {
                                    if f[16] <= 0.500000 {  // try_utf32be
                                        return true  // binary (100.0%, n=1)
                                    } else {
                                        return true  // binary (100.0%, n=1)
                                    }
                                }
                            } else {
                                if f[5] <= 0.140625 {  // even_null_ratio
                                    return false  // text (100.0%, n=1)
                                } else {
                                    return true  // binary (100.0%, n=1)
                                }
                            }
                        }
                    } else {
                        if f[17] <= 0.291667 {  // longest_printable_run
                            if f[7] <= 0.698576 {  // byte_entropy
                                return true  // binary (100.0%, n=1)
                            } else {
                                if f[7] <= 5.613847 {  // byte_entropy
                                    if f[2] <= 0.361264 {  // printable_ascii_ratio
                                        if f[20] <= 0.500000 {  // try_shift_jis
                                            return false  // text (100.0%, n=1)
                                        } else {
                                            if f[14] <= 0.500000 {  // try_utf16be
                                                if f[0] <= 0.379808 {  // null_ratio
                                                    return false  // text (100.0%, n=1)
                                                } else {
                                                    return true  // binary (100.0%, n=1)
                                                }
                                            } else {
                                                return false  // text (100.0%, n=1)
                                            }
                                        }
                                    } else {
                                        if f[2] <= 0.408333 {  // printable_ascii_ratio
                                            if f[1] <= 0.260000 {  // control_ratio
                                                return false  // text (100.0%, n=1)
                                            } else {
                                                return true  // binary (100.0%, n=1)
                                            }
                                        } else {
                                            return false  // text (100.0%, n=1)
                                        }
                                    }
                                } else {
                                    if f[17] <= 0.012485 {  // longest_printable_run
                                        return false  // text (100.0%, n=1)
                                    } else {
                                        return true  // binary (100.0%, n=1)
                                    }
                                }
                            }
                        } else {
                            return true  // binary (100.0%, n=1)
                        }
                    }
                } else {
                    if f[20] <= 0.500000 {  // try_shift_jis
                        return true  // binary (100.0%, n=1)
                    } else {
                        return true  // binary (100.0%, n=1)
                    }
                }
            }
        }
    }
}

// MARK: Data (GENERATED: python3 Tests/ModelFactoryTests/make_binary_cases.py --tables)

extension Binary {
    /// `data/binary_extensions.csv` (lower-cased).
    static let binaryExtensions: Set<String> = [
        "3ds", "7z", "aac", "accdb", "aif", "aiff", "alac", "ape", "arrow", "avi", "avif", "avro",
        "bin", "blend", "bmp", "bz2", "cab", "class", "com", "cr2", "cr3", "dae", "db", "dbf",
        "dll", "dmg", "dng", "doc", "docx", "dwf", "dwg", "dxb", "eot", "epub", "exe", "fbx",
        "fit", "fits", "flac", "flv", "fw", "gba", "gif", "glb", "gz", "hdf5", "heic", "heif",
        "ico", "img", "iso", "jar", "jfif", "jp2", "jpeg", "jpg", "jxl", "lz", "lz4", "lzma",
        "m4a", "m4v", "mat", "mdb", "mid", "midi", "mkv", "mobi", "mov", "mp3", "mp4", "mpeg",
        "mpg", "msi", "n64", "nds", "nef", "nes", "npy", "npz", "o", "odt", "ogg", "ogv",
        "opus", "orf", "otf", "pages", "pak", "parquet", "pcap", "pcapng", "pdf", "png", "ppt", "pptx",
        "psd", "pyc", "pyo", "qcow2", "rar", "raw", "rom", "sav", "sfc", "shp", "shx", "smc",
        "so", "sqlite", "sqlite3", "step", "stl", "stp", "tar", "tif", "tiff", "ttc", "ttf", "usdz",
        "vdi", "vhd", "vmdk", "wasm", "wav", "webm", "webp", "wma", "wmv", "woff", "woff2", "xcf",
        "xls", "xlsx", "xz", "z", "zip", "zst",
    ]

    /// `data/binary_formats.csv`: the non-empty `magic_hex` values, in file order.
    static let signatures: [[UInt8]] = [
        hex("89504e470d0a1a0a"), hex("ffd8ffe0"), hex("ffd8ffe1"), hex("474946383761"),
        hex("474946383961"), hex("424d"), hex("4d4d002a"), hex("49492a00"),
        hex("00000100"), hex("255044462d312e"), hex("53514c69746520666f726d6174203300"), hex("504b0304"),
        hex("1f8b08"), hex("fd377a585a00"), hex("7f454c46"), hex("feedface"),
        hex("cefaedfe"), hex("feedfacf"), hex("cffaedfe"), hex("4d5a"),
        hex("cafebabe"), hex("52494646"), hex("4f676753"), hex("664c6143"),
        hex("0061736d"), hex("774f4646"), hex("4f54544f"), hex("0001000000"),
        hex("0000000142756431"), hex("774f4632"), hex("524946460000000057454250"), hex("0000001866747970"),
        hex("494433"), hex("425a68"), hex("377abcaf271c"), hex("d0cf11e0a1b11ae1"),
        hex("28b52ffd"), hex("526172211a07"), hex("1a45dfa3"), hex("4d546864"),
        hex("38425053"), hex("0000001c6674797068656963"), hex("50415231"), hex("6465780a"),
        hex("4243c0de"), hex("5041434b"), hex("62706c697374"), hex("213c617263683e0a"),
        hex("04224d18"), hex("4152524f5731"), hex("4f626a01"), hex("5d0000"),
        hex("a1b2c3d4"), hex("ff060000734e61507059"), hex("feedfeed"), hex("303730373031"),
    ]

    static let gb2312Pairs = PairTable(
        leads: 0xA1...0xF7, trails: 0xA1...0xFE,
        base64: """
            //////////////8/AMD////////8z//z////////////////////////////HwD/////////////P8D//z/A//8/AAAAAPD/
            //8fAPD///8fAPz//w/A/////wcAAPj//////////38AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAD8////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////H/z/
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            //////////////////8D
            """)
    static let big5Pairs = PairTable(
        leads: 0xA1...0xF9, trails: 0x40...0xFE,
        base64: """
            /////////38AAAAA/v///////////////////////z8AAAAA/////////////////////////x8AAACA////PwAAAAAAAADg
            /////////w8AAADA/////////////////////////wcAAADg/////////////////////////wMAAADw////////////////
            /////////wEAAAD4/////////////////////////wAAAAD8////////////////////////fwAAAAD+////////////////
            ////////PwAAAAD/////////////////////////HwAAAID/////////////////////////DwAAAMD/////////////////
            ////////BwAAAOD/////////////////////////AwAAAPD/////////////////////////AQAAAPj/////////////////
            ////////AAAAAPz///////////////////////9/AAAAAP7///////////////////////8/AAAAAP//////////////////
            //////8fAAAAgP////////////////////////8PAAAAwP////////////////////////8HAAAA4P//////////////////
            //////8DAAAA8P////////////////////////8BAAAA+P////////////////////////8AAAAA/P//////////////////
            /////38AAAAA/v///////////////////////z8AAAAA/////////////////////////x8AAACA////////////////////
            /////w8AAADA/////////////////////////wcAAADg/////////////////////////wMAAADw////////////////////
            /////wEAAAD4/////////////////////////wAAAAD8////////////////////////fwAAAAD+////////////////////
            ////PwAAAAD/////////////////////////HwAAAID/////////////////////////DwAAAMD/////////////////////
            ////BwAAAOD/////////////////////////AwAAAPD/////////////////////////AQAAAPj/////////////fwAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAP////////9/AAAAAP7///////////////////////8/AAAAAP//////////////////////
            //8fAAAAgP////////////////////////8PAAAAwP////////////////////////8HAAAA4P//////////////////////
            //8DAAAA8P////////////////////////8BAAAA+P////////////////////////8AAAAA/P//////////////////////
            /38AAAAA/v///////////////////////z8AAAAA/////////////////////////x8AAACA////////////////////////
            /w8AAADA/////////////////////////wcAAADg/////////////////////////wMAAADw////////////////////////
            /wEAAAD4/////////////////////////wAAAAD8////////////////////////fwAAAAD+////////////////////////
            PwAAAAD/////////////////////////HwAAAID/////////////////////////DwAAAMD/////////////////////////
            BwAAAOD/////////////////////////AwAAAPD/////////////////////////AQAAAPj/////////////////////////
            AAAAAPz///////////////////////9/AAAAAP7///////////////////////8/AAAAAP////////////////////////8f
            AAAAgP////////////////////////8PAAAAwP////////////////////////8HAAAA4P////////////////////////8D
            AAAA8P////////////////////////8BAAAA+P////////////////////////8AAAAA/P///////////////////////38A
            AAAA/v///////////////////////z8AAAAA/////////////////////////x8AAACA/////////////////////////w8A
            AADA/////////////////////////wcAAADg/////////////////////////wMAAADw/////////////////////////wEA
            AAD4/////////////////////////wAAAAD8////////////////////////fwAAAAD+////////////////////////PwAA
            AAD/////////////////////////HwAAAID/////////////////////////DwAAAMD/////////////////////////BwAA
            AOD/////////////////////////AwAAAPD/////////////////////////AQAAAPj/////////////////////////AAAA
            APz///////////////////////9/AAAAAP7//////z8AAAAAAA==
            """)
    static let shiftJISPairs = PairTable(
        leads: 0x81...0xEA, trails: 0x40...0xFC,
        base64: """
            /////////3///////x8A/wB/APz/Af8QAPA/4P//f8D////w////////////fwD8//////////3//wH+//8B/v//AQAAAID/
            ////AID/v///AcD///8/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/P///////////////////////3//////////////////////////
            /////+////////////////////////////////3/////////////////////////////v///////////////////////////
            ////9////////////////////////////////v/////////////////////////////f////////////////////////////
            ///7/////////////////////////////3///////////////////////////////+//////////////////////////////
            //3/////////////////////////////v///////////////////////////////9///////////////////////////////
            /v/////////////////////////////f////////////////////////////PwAAAAAA/P///////////////////////3//
            /////////////////////////////+////////////////////////////////3/////////////////////////////v///
            ////////////////////////////9////////////////////////////////v/////////////////////////////f////
            ////////////////BwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAA+P/////////7/////////////////////////////3///////////////////////////////+//////
            //////////////////////////3/////////////////////////////v///////////////////////////////9///////
            /////////////////////////v/////////////////////////////f///////////////////////////////7////////
            /////////////////////3///////////////////////////////+//////AwAAAAAAAAAAAAAA
            """)
    static let eucJPPairs = PairTable(
        leads: 0x8E...0xF4, trails: 0xA1...0xFE,
        base64: """
            /////////38AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAPz///////////////8/AP4B/gD4/wP+IQDgf8D////A////8P///////////38A/P////////////8A////AP//
            /wAAAADA////fwDA////fwDw////DwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA8P//////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            //////////////////////////////////////////////////////////////////8BAAAAAPD/////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            //////////////////////////////////////////////////////////////8DAAAAAAAAAAAAAAA=
            """)
    static let eucJPTriples = PairTable(
        leads: 0xA2...0xED, trails: 0xA1...0xFE,
        base64: """
            AMD/AQ4AAAAA/AEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAF8L/w8AAACA/w8AAACA/w8A
            AAAAAAAAAAAAAKx2AwD8/wMAAAAAAP////7///////9/wP////39//////8fAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAADw////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            /////////////////////////////////x8AAAA=
            """)
    static let eucKRPairs = PairTable(
        leads: 0xA1...0xFD, trails: 0xA1...0xFE,
        base64: """
            //////////////////////////8fAADw///////////////////////f////////g/8B////AP///8D//////////wMAAPD/
            //////////8HALz+/f////////////////////////////////////////8B8P////////////8D/P///wcA/P///wcAAAAA
            AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAD8////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            //////////////////////////////////////////////////8AAAAAAAAAAAAAAMD/////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////////////////////////////////////////////////////////////////////////////////////
            ////////////////Pw==
            """)
    static let eucKRChoseong: Set<UInt8> = [
        0xA1, 0xA2, 0xA4, 0xA7, 0xA8, 0xA9, 0xB1, 0xB2, 0xB3, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9,
        0xBA, 0xBB, 0xBC, 0xBD, 0xBE,
    ]
    static let eucKRJungseong: Set<UInt8> = [
        0xBF, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB, 0xCC,
        0xCD, 0xCE, 0xCF, 0xD0, 0xD1, 0xD2, 0xD3,
    ]
    static let eucKRJongseong: Set<UInt8> = [
        0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF,
        0xB0, 0xB1, 0xB2, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xBA, 0xBB, 0xBC, 0xBD, 0xBE, 0xD4,
    ]
}
