import SystemKit
import TestSupport
import Testing

@Suite(.onTestThreads) struct ConstantTimeTests {
    @Test func tokensCompareInConstantTimeAndExactly() {
        #expect(constantTimeEqual(Array("Bearer abc".utf8), Array("Bearer abc".utf8)))
        #expect(!constantTimeEqual(Array("Bearer abd".utf8), Array("Bearer abc".utf8)))
        #expect(!constantTimeEqual(Array("Bearer ab".utf8), Array("Bearer abc".utf8)))
        #expect(!constantTimeEqual([], Array("Bearer abc".utf8)))
    }
}
