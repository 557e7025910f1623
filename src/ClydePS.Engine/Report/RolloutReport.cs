namespace ClydePS.Engine.Report;

/// <summary>One bar of a timeline row: a pull (or, on an aggregated row, the span of its nodes' pulls) in seconds from the origin.</summary>
public sealed record ReportBar(string Phase, string Source, double Start, double End, string Detail);

/// <summary>One row of a timeline: a node, or (beyond the row limit) a group of nodes in start order.</summary>
public sealed class ReportRow
{
    public required string Label { get; init; }

    /// <summary>The node names behind the row (one unless aggregated).</summary>
    public int Nodes { get; init; } = 1;
    public List<ReportBar> Bars { get; init; } = [];
    public bool Aggregated => Nodes > 1;
}

/// <summary>A vertical line across a timeline or chart (a bound, the deploy, the end of the rollout, a decision).</summary>
public sealed record ReportMarker(string Label, double Seconds, string Kind);

/// <summary>A per-node Gantt chart.</summary>
public sealed class ReportTimeline
{
    public required string Title { get; init; }
    public List<ReportRow> Rows { get; init; } = [];
    public List<ReportMarker> Markers { get; init; } = [];

    /// <summary>Nodes with a row before aggregation.</summary>
    public int NodeCount { get; init; }

    /// <summary>Nodes per aggregated row (1 = every node has its own row).</summary>
    public int NodesPerRow { get; init; } = 1;

    /// <summary>The latest bar end or marker, in seconds.</summary>
    public double Span => Math.Max(Rows.SelectMany(r => r.Bars).Select(b => b.End).DefaultIfEmpty(0).Max(),
        Markers.Select(m => m.Seconds).DefaultIfEmpty(0).Max());
}

/// <summary>One metric point of the monitor (a decision with that metric).</summary>
public sealed record MetricPoint(double Seconds, double Value, string Verdict, string Kind);

/// <summary>One monitored metric over time, with the threshold it was judged against.</summary>
public sealed class MetricSeries
{
    public required string Name { get; init; }
    public required string Unit { get; init; }
    public List<MetricPoint> Points { get; init; } = [];
    public double? Threshold { get; init; }

    /// <summary>True for bandwidth (below the threshold is unhealthy), false for jitter and drops.</summary>
    public bool HigherIsBetter { get; init; }
}

/// <summary>A table: header cells and rows of plain-text cells (escaped when written).</summary>
public sealed class ReportTable
{
    public required string[] Headers { get; init; }
    public List<string[]> Rows { get; init; } = [];

    /// <summary>Rows left out beyond the limit (said under the table).</summary>
    public int Omitted { get; init; }
}

/// <summary>One part of a report: a seed run or one forecast.</summary>
public sealed class ReportSection
{
    public required string Id { get; init; }
    public required string Title { get; init; }
    public List<KeyValuePair<string, string>> Summary { get; init; } = [];
    public ReportTimeline? Timeline { get; init; }
    public List<MetricSeries> Metrics { get; init; } = [];

    /// <summary>Decision times (and kinds) drawn across the metric charts.</summary>
    public List<ReportMarker> MetricMarkers { get; init; } = [];
    public double MetricSpan { get; init; }
    public List<KeyValuePair<string, ReportTable>> Tables { get; init; } = [];
    public List<string> Notes { get; init; } = [];
}

/// <summary>
/// Everything a rollout report shows, independent of the format: built by <see cref="RolloutReportBuilder"/>,
/// written by <see cref="HtmlReportWriter"/>, <see cref="MarkdownReportWriter"/> and <see cref="SvgTimelineWriter"/>.
/// </summary>
public sealed class RolloutReport
{
    public required string Title { get; init; }
    public DateTimeOffset Generated { get; init; }

    /// <summary>The headline table (the seed run, the forecasts side by side).</summary>
    public List<KeyValuePair<string, ReportTable>> Overview { get; init; } = [];
    public List<ReportSection> Sections { get; init; } = [];

    /// <summary>The row limit each timeline was aggregated to.</summary>
    public int MaxRows { get; init; }
}
