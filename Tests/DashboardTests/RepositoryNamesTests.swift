import Foundation
import Testing

@testable import Dashboard

@Suite struct RepositoryNamesTests {
    @Test func aFolderNameIsTheShortNameAndClashesTakeTheirParent() {
        let names = Catalog.shortNames(["/src/team-a/churn", "/src/team-b/churn", "/src/fraud.git", "/x/team-a/churn/.git"])
        #expect(names["/src/fraud.git"] == "fraud")
        #expect(names["/src/team-a/churn"] == "team-a-churn")
        #expect(names["/src/team-b/churn"] == "team-b-churn")
        #expect(names["/x/team-a/churn/.git"] == "team-a-churn-2")
        #expect(Set(names.values).count == 4)
    }

    @Test func slugsKeepOnlySafeCharacters() {
        #expect(Catalog.slug("a b/<c>") == "a-b--c-")
        #expect(Catalog.slug("..") == "repository")
    }
}
