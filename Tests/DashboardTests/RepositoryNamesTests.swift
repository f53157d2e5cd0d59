import Foundation
import TestSupport
import Testing

@testable import Dashboard

@Suite(.onTestThreads) struct RepositoryNamesTests {
    @Test func aFolderNameIsTheShortNameAndClashesTakeTheirParent() {
        let names = Catalog.shortNames(["/src/team-a/churn", "/src/team-b/churn", "/src/fraud.git", "/x/team-a/churn/.git"])
        #expect(names["/src/fraud.git"] == "fraud")
        #expect(names["/src/team-a/churn"] == "team-a-churn")
        #expect(names["/src/team-b/churn"] == "team-b-churn")
        #expect(names["/x/team-a/churn/.git"] == "team-a-churn-2")
        #expect(Set(names.values).count == 4)
    }

    /// A repository known by its origin URL is named by the URL's last path component.
    @Test func aURLIdentityIsNamedByItsPath() {
        let names = Catalog.shortNames(["https://github.com/team-c/churn.git", "git@gitlab.com:team-d/churn.git", "https://github.com/team/fraud.git"])
        #expect(names["https://github.com/team/fraud.git"] == "fraud")
        #expect(names["https://github.com/team-c/churn.git"] == "team-c-churn")
        #expect(names["git@gitlab.com:team-d/churn.git"] == "team-d-churn")
    }

    @Test func slugsKeepOnlySafeCharacters() {
        #expect(Catalog.slug("a b/<c>") == "a-b--c-")
        #expect(Catalog.slug("..") == "repository")
    }
}
