/// A count with its noun in the right number, for what users read: `counted(1, "file")` is
/// "1 file", `counted(3, "file")` "3 files", `counted(2, "copy", plural: "copies")` "2 copies".
public func counted(_ count: Int, _ noun: String, plural: String? = nil) -> String {
    "\(count) " + (count == 1 ? noun : plural ?? noun + "s")
}
