public import Foundation

/// Looks at `condition` until it holds or `seconds` pass, and says whether it held. The one
/// place the tests pause: between looks at a condition, never to let time pass instead of
/// waiting for what they need.
public func eventually(
    seconds: Double = 120, every interval: Duration = .milliseconds(50), _ condition: () throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try await Task.sleep(for: interval)
    }
    return try condition()
}

/// `eventually` for a condition that awaits (one that runs a process off the cooperative pool,
/// as `runProcess`'s async form does), so the look never holds one of the pool's threads.
public func eventuallyAwaiting(
    seconds: Double = 120, every interval: Duration = .milliseconds(50), _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: interval)
    }
    return try await condition()
}

/// The same for synchronous tests: blocks the calling thread between looks.
public func pollUntil(
    seconds: Double = 120, every interval: Duration = .milliseconds(50), _ condition: () throws -> Bool
) rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        let (seconds, attoseconds) = interval.components
        var pause = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        nanosleep(&pause, nil)
    }
    return try condition()
}
