internal import Foundation

/// A line chart as the `chart` template draws it in SVG: every coordinate is computed here, in
/// pixels, so the template only places them (axes, ticks with labels, one line and its points
/// per series with a hover title each, a legend, and an optional threshold line).
struct LineChart: Encodable, Sendable {
    struct Plot: Encodable, Sendable { var left, right, top, bottom, middle: Double }
    struct XTick: Encodable, Sendable { var x: Double, label: String, tickEnd: Double, labelY: Double }
    struct YTick: Encodable, Sendable { var y: Double, label: String, labelX: Double }
    struct Point: Encodable, Sendable { var x, y: Double, title: String }
    struct Series: Encodable, Sendable {
        /// Its colour, 0 to 7.
        var index: Int
        var name: String
        /// The SVG path through its points.
        var path: String
        var points: [Point]
    }
    struct Threshold: Encodable, Sendable { var y: Double, label: String }

    var title: String
    var width: Double
    var height: Double
    var plot: Plot
    var xTicks: [XTick]
    var yTicks: [YTick]
    var xLabel: String?
    var series: [Series]
    var threshold: Threshold?

    /// One series' values: x (a category's index or seconds since 1970), y, and the hover text.
    struct Line: Sendable {
        var name: String
        var values: [(x: Double, y: Double, title: String)]
    }

    static let width = 460.0
    static let height = 230.0

    /// A chart whose x axis is a list of categories (releases, in order), one tick each.
    static func categories(title: String, labels: [String], lines: [Line], threshold: (value: Double, label: String)? = nil, xLabel: String? = nil)
        -> LineChart
    {
        let xs = (0..<max(labels.count, 1)).map(Double.init)
        var chart = frame(title: title, xRange: (xs.first!, max(xs.last!, 1)), lines: lines, threshold: threshold, xLabel: xLabel)
        let every = max(1, Int((Double(labels.count) / 10).rounded(.up)))
        chart.xTicks = labels.enumerated().compactMap { index, label in
            index % every == 0 || index == labels.count - 1 ? chart.xTick(at: chart.x(Double(index)), label: label) : nil
        }
        return chart
    }

    /// A chart whose x axis is time.
    static func time(title: String, lines: [Line], threshold: (value: Double, label: String)? = nil) -> LineChart {
        let all = lines.flatMap { $0.values.map(\.x) }
        // One moment alone sits in the middle of a minute.
        var low = all.min() ?? 0
        var high = all.max() ?? 1
        if high - low < 1 {
            low -= 30
            high += 30
        }
        var chart = frame(title: title, xRange: (low, high), lines: lines, threshold: threshold, xLabel: nil)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        // Ticks a quarter of the span apart: as precise as needed for no two to read the same.
        let span = high - low
        formatter.dateFormat = span > 3 * 86_400 ? "MM-dd" : span > 86_400 ? "MM-dd HH:mm" : span > 3_600 ? "HH:mm" : "HH:mm:ss"
        chart.xTicks = (0...4).map { step in
            let value = low + (high - low) * Double(step) / 4
            return chart.xTick(at: chart.x(value), label: formatter.string(from: Date(timeIntervalSince1970: value)))
        }
        chart.xLabel = "UTC"
        return chart
    }

    // MARK: Layout

    private var xRange: (Double, Double) = (0, 1)
    private var yRange: (Double, Double) = (0, 1)

    private enum CodingKeys: String, CodingKey { case title, width, height, plot, xTicks, yTicks, xLabel, series, threshold }

    private static func frame(
        title: String, xRange: (Double, Double), lines: [Line], threshold: (value: Double, label: String)?, xLabel: String?
    ) -> LineChart {
        let plot = Plot(left: 52, right: width - 14, top: 12, bottom: height - 34, middle: (52 + width - 14) / 2)
        var values = lines.flatMap { $0.values.map(\.y) }.filter(\.isFinite)
        if let threshold { values.append(threshold.value) }
        let (low, high, step) = niceScale(low: values.min() ?? 0, high: values.max() ?? 1)
        var chart = LineChart(
            title: title, width: width, height: height, plot: plot, xTicks: [], yTicks: [], xLabel: xLabel, series: [], threshold: nil)
        chart.xRange = xRange
        chart.yRange = (low, high)
        chart.yTicks = stride(from: low, through: high + step / 2, by: step).map {
            YTick(y: chart.y($0), label: label($0, step: step), labelX: plot.left - 6)
        }
        chart.series = lines.enumerated().map { index, line in
            let points = line.values.filter { $0.y.isFinite }.map { Point(x: chart.x($0.x), y: chart.y($0.y), title: $0.title) }
            let path = points.enumerated().map { String(format: "%@%.1f %.1f", $0.offset == 0 ? "M" : "L", $0.element.x, $0.element.y) }
            return Series(index: index % 8, name: line.name, path: path.joined(separator: " "), points: points)
        }
        if let threshold { chart.threshold = Threshold(y: chart.y(threshold.value), label: threshold.label) }
        return chart
    }

    func x(_ value: Double) -> Double {
        let span = xRange.1 - xRange.0
        let fraction = span > 0 ? (value - xRange.0) / span : 0.5
        return Self.round(plot.left + 10 + fraction * (plot.right - plot.left - 20))
    }

    func y(_ value: Double) -> Double {
        let span = yRange.1 - yRange.0
        let fraction = span > 0 ? (value - yRange.0) / span : 0.5
        return Self.round(plot.bottom - fraction * (plot.bottom - plot.top))
    }

    func xTick(at x: Double, label: String) -> XTick { XTick(x: x, label: label, tickEnd: plot.bottom + 4, labelY: plot.bottom + 16) }

    static func round(_ value: Double) -> Double { (value * 10).rounded() / 10 }

    /// Axis bounds and a step of 1, 2 or 5 times a power of ten, for about five ticks.
    static func niceScale(low: Double, high: Double) -> (Double, Double, Double) {
        var low = low
        var high = high
        if high - low < 1e-12 {
            let pad = abs(low) > 1e-12 ? abs(low) * 0.1 : 1
            low -= pad
            high += pad
        }
        let rough = (high - low) / 5
        let magnitude = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        return (floor(low / step) * step, ceil(high / step) * step, step)
    }

    static func label(_ value: Double, step: Double) -> String {
        let decimals = max(0, Int(-floor(log10(step))))
        return String(format: "%.\(decimals)f", abs(value) < step / 1e6 ? 0 : value)
    }
}
