import Foundation
import GRDB
import TestSupport
import Testing

@testable import SQLiteStore

/// The prediction log writes its times itself, exactly as GRDB writes a `Date`.
@Suite(.onTestThreads) struct StoredTimeTests {
    @Test(arguments: [0, 1_796_000_000.123_9, 1_796_000_000.999_9, -1.5, -86_400.000_4, 951_782_400.5, 4_102_444_799.999])
    func writesWhatGRDBWrites(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(StoredTime.text(date) == String.fromDatabaseValue(date.databaseValue))
    }
}
