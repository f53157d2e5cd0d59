/// The version of Model Factory itself: what `mf --version` prints, what a bundle records as the
/// `mf` that built it, and what `mf serve` reports as the server's own version.
public let factoryVersion = "0.1.0"
