import ModelFactory
import TestSupport
import Testing

@Suite(.onTestThreads) struct CountedTests {
    @Test func singularOnlyForOne() {
        #expect(counted(1, "file") == "1 file")
        #expect(counted(0, "file") == "0 files")
        #expect(counted(13, "file") == "13 files")
        #expect(counted(1, "copy", plural: "copies") == "1 copy")
        #expect(counted(2, "copy", plural: "copies") == "2 copies")
    }
}
