using System.Globalization;

namespace ClydePS.Engine.Report;

/// <summary>Options of a rollout report.</summary>
public sealed record RolloutReportOptions
{
    /// <summary>The default row limit of a timeline (and of the per-pull table).</summary>
    public const int DefaultMaxRows = 200;

    public string? Title { get; init; }

    /// <summary>
    /// Timelines with more nodes than this are aggregated: the nodes are ordered by their first pull's start (then by
    /// name) and cut into consecutive groups of ceil(nodes / MaxRows); each group is one row whose bar per phase runs
    /// from the group's earliest start to its latest end, colored by the group's source (Mixed when they differ).
    /// </summary>
    public int MaxRows { get; init; } = DefaultMaxRows;

    /// <summary>The time the report says it was generated (now when null).</summary>
    public DateTimeOffset? Generated { get; init; }
}

/// <summary>Turns a <see cref="ClydeSeedResult"/> (with its <see cref="ClydeDaemonSet"/>) and forecasts into a <see cref="RolloutReport"/>.</summary>
public static class RolloutReportBuilder
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static RolloutReport Build(ClydeSeedResult? seed, ClydeDaemonSet? daemonSet, IReadOnlyList<ClydeSeedForecast> forecasts, RolloutReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(forecasts);
        options ??= new RolloutReportOptions();
        if (options.MaxRows < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxRows, "MaxRows must be at least 1.");
        }
        if (seed is null && forecasts.Count == 0)
        {
            throw new ArgumentException("A report needs a ClydeSeedResult or at least one ClydeSeedForecast.", nameof(seed));
        }

        var overview = new List<KeyValuePair<string, ReportTable>>();
        var sections = new List<ReportSection>();
        if (seed is not null)
        {
            overview.Add(new("Seeded rollout", SeedOverview(seed, daemonSet)));
            sections.Add(SeedSection(seed, daemonSet, options.MaxRows));
        }
        if (forecasts.Count > 0)
        {
            overview.Add(new("Forecasts", ForecastOverview(forecasts)));
            var i = 0;
            foreach (var f in forecasts)
            {
                sections.Add(ForecastSection(f, ++i, options.MaxRows));
            }
        }
        var title = options.Title ?? (seed is not null ? $"ClydePS rollout report: {seed.Image}"
            : $"ClydePS seeding forecast: {forecasts[0].NodeCount} nodes, {forecasts[0].ImageSizeGB.ToString("0.##", Inv)} GB");
        return new RolloutReport
        {
            Title = title,
            Generated = options.Generated ?? DateTimeOffset.UtcNow,
            Overview = overview,
            Sections = sections,
            MaxRows = options.MaxRows,
        };
    }

    // ------------------------------------------------------------------ seed result

    static ReportTable SeedOverview(ClydeSeedResult s, ClydeDaemonSet? ds)
    {
        var total = ds?.Duration is { } d ? Time(s.Duration + d) : "";
        return new ReportTable
        {
            Headers = ["image", "strategy", "network", "eligible", "target", "seeded", "failed", "waves", "seeding", "DaemonSet", "total", "outcome"],
            Rows =
            [
                [s.Image, s.Strategy, s.NetworkClass.ToString(), N(s.Eligible), N(s.Target), N(s.Seeded), N(s.Failed), N(s.Waves.Length),
                    Time(s.Duration), ds is null ? "" : DaemonSetText(ds), total, s.Outcome],
            ],
        };
    }

    static string DaemonSetText(ClydeDaemonSet ds) =>
        $"{N(ds.Available)}/{N(ds.Desired)} available" + (ds.Duration is { } d ? $" in {Time(d)}" : "");

    static ReportSection SeedSection(ClydeSeedResult s, ClydeDaemonSet? ds, int maxRows)
    {
        var origin = s.Start;
        var waveSource = s.Waves.GroupBy(w => w.Number).ToDictionary(g => g.Key, g => g.First().Source);
        var end = Sec(s.Duration);
        string SourceOf(ClydeSeedPull p) => !p.Succeeded ? (p.End is null ? "Unfinished" : "Failed")
            : p.Source ?? (waveSource.TryGetValue(p.Wave, out var src) && src.Length > 0 ? src : "Unknown");

        var rows = s.Pulls.GroupBy(p => p.Node, StringComparer.Ordinal).Select(g => new ReportRow
        {
            Label = g.Key,
            Bars = g.OrderBy(p => p.Start).Select(p =>
            {
                var start = Math.Max(0, (p.Start - origin).TotalSeconds);
                var stop = p.End is { } e ? Math.Max(start, (e - origin).TotalSeconds) : Math.Max(start, end);
                var detail = $"{p.Node}: wave {p.Wave}, {SourceOf(p)}, {Time(TimeSpan.FromSeconds(start))} - {Time(TimeSpan.FromSeconds(stop))}"
                    + (p.MBps is { } mb ? $", {mb.ToString("0.#", Inv)} MB/s" : "")
                    + (p.Error is { Length: > 0 } err ? $", {err}" : "");
                return new ReportBar("Seed", SourceOf(p), start, stop, detail);
            }).ToList(),
        }).ToList();

        var markers = new List<ReportMarker> { new("seeding done", end, "Deploy") };
        if (ds?.Duration is { } dsd)
        {
            markers.Add(new("DaemonSet rolled out", end + Sec(dsd), "Rollout"));
        }
        var timeline = Aggregate("Seed pulls per node", rows, maxRows, markers);

        var summary = new List<KeyValuePair<string, string>>
        {
            new("Image", s.Image),
            new("Digest", s.Digest),
            new("Workload", s.Workload ?? ""),
            new("Strategy", s.Strategy),
            new("Network class", s.NetworkClass.ToString()),
            new("P2P mirror", s.Mirror ?? "none found"),
            new("Eligible nodes", N(s.Eligible)),
            new("Target", N(s.Target)),
            new("Seeded", N(s.Seeded)),
            new("Already held the image", N(s.AlreadySeeded.Length)),
            new("Pulls", N(s.Pulls.Length)),
            new("Pulls from the registry", N(s.Pulls.Count(p => p.Succeeded && SourceOf(p) == "Registry"))),
            new("Pulls from peers", N(s.Pulls.Count(p => p.Succeeded && SourceOf(p) == "Peers"))),
            new("Failed pulls", N(s.Failed)),
            new("Skipped nodes", N(s.Skipped.Length)),
            new("Waves", N(s.Waves.Length)),
            new("Seeding time", Time(s.Duration)),
        };
        if (s.Pulls.Where(p => p.Succeeded && p.MBps is not null).Select(p => p.MBps!.Value).ToList() is { Count: > 0 } rates)
        {
            summary.Add(new("Median pull rate", $"{Median(rates).ToString("0.#", Inv)} MB/s"));
        }
        if (ds is not null)
        {
            summary.Add(new("DaemonSet", $"{ds.Namespace}/{ds.Name}: {DaemonSetText(ds)}"));
            if (ds.Duration is { } d)
            {
                summary.Add(new("Seeding + DaemonSet", Time(s.Duration + d)));
            }
        }
        summary.Add(new("Outcome", s.Outcome));

        var metrics = new List<MetricSeries>
        {
            // A window without (successful) samples measured nothing: it is in the decisions table, not on the chart.
            Series("Bandwidth", "MB/s", s.Decisions, d => d.SuccessfulSamples > 0 ? d.BandwidthMBps : null, s.MonitorBandwidthThreshold, true, origin),
            Series("Jitter", "ms", s.Decisions, d => d.SuccessfulSamples > 0 ? d.JitterMs : null, s.MonitorJitterThreshold, false, origin),
            Series("Drop rate", "%", s.Decisions, d => d.Samples > 0 ? d.DropRatePct : null, s.MonitorDropThreshold, false, origin),
        };
        var metricMarkers = s.Decisions.Where(d => d.Kind is "Wave" or "Deploy" or "Abort" or "Failure")
            .Select(d => new ReportMarker(d.Kind, Math.Max(0, (d.Time - origin).TotalSeconds), d.Kind)).ToList();

        var tables = new List<KeyValuePair<string, ReportTable>>
        {
            new("Decisions", new ReportTable
            {
                Headers = ["time", "kind", "verdict", "bandwidth MB/s", "jitter ms", "drop %", "samples", "narrative"],
                Rows = s.Decisions.Select(d => new[]
                {
                    Time(d.Time - origin), d.Kind, d.Verdict, Num(d.BandwidthMBps), Num(d.JitterMs), Num(d.DropRatePct),
                    d.Samples > 0 ? $"{N(d.SuccessfulSamples)}/{N(d.Samples)}" : "", d.Narrative,
                }).ToList(),
            }),
            new("Waves", new ReportTable
            {
                Headers = ["wave", "source", "nodes", "start", "end", "names"],
                Rows = s.Waves.Select(w => new[]
                {
                    N(w.Number), w.Source, N(w.Nodes.Length), Time(w.Start - origin), w.End is { } e ? Time(e - origin) : "",
                    Names(w.Nodes, 12),
                }).ToList(),
            }),
            new("Pulls", PullTable(s, SourceOf, maxRows)),
        };
        if (s.Skipped.Length > 0)
        {
            tables.Add(new("Skipped nodes", new ReportTable
            {
                Headers = ["node", "reason"],
                Rows = s.Skipped.Take(maxRows).Select(k => new[] { k.Node, k.Reason }).ToList(),
                Omitted = Math.Max(0, s.Skipped.Length - maxRows),
            }));
        }

        var notes = new List<string>();
        if (timeline.NodesPerRow > 1)
        {
            notes.Add(AggregationNote(timeline, maxRows));
        }
        if (s.Waves.Any(w => w.Source == "Unknown"))
        {
            notes.Add("Unknown source: a real cluster does not say where kubelet's bytes came from (the Lab and forecasts do).");
        }
        if (ds?.Duration is not null)
        {
            notes.Add("The DaemonSet line assumes the DaemonSet was deployed when seeding ended (New-ClydeDaemonSet right after Start-ClydeSeed).");
        }
        return new ReportSection
        {
            Id = "seed",
            Title = $"Seeded rollout of {s.Image}",
            Summary = summary,
            Timeline = timeline,
            Metrics = metrics.Where(m => m.Points.Count > 0).ToList(),
            MetricMarkers = metricMarkers,
            MetricSpan = Math.Max(end, s.Decisions.Select(d => (d.Time - origin).TotalSeconds).DefaultIfEmpty(0).Max()),
            Tables = tables,
            Notes = notes,
        };
    }

    static ReportTable PullTable(ClydeSeedResult s, Func<ClydeSeedPull, string> sourceOf, int maxRows)
    {
        var pulls = s.Pulls.OrderBy(p => p.Start).ThenBy(p => p.Node, StringComparer.Ordinal).ToList();
        return new ReportTable
        {
            Headers = ["node", "wave", "source", "start", "duration", "MB/s", "result"],
            Rows = pulls.Take(maxRows).Select(p => new[]
            {
                p.Node, N(p.Wave), sourceOf(p), Time(p.Start - s.Start), p.Duration is { } d ? Time(d) : "", Num(p.MBps),
                p.Succeeded ? "pulled" : $"failed: {p.Error}",
            }).ToList(),
            Omitted = Math.Max(0, pulls.Count - maxRows),
        };
    }

    static MetricSeries Series(string name, string unit, IEnumerable<ClydeSeedDecision> decisions, Func<ClydeSeedDecision, double?> value,
        double? threshold, bool higherIsBetter, DateTimeOffset origin) => new()
        {
            Name = name,
            Unit = unit,
            Threshold = threshold,
            HigherIsBetter = higherIsBetter,
            Points = decisions.Where(d => value(d) is { } v && double.IsFinite(v))
                .Select(d => new MetricPoint(Math.Max(0, (d.Time - origin).TotalSeconds), value(d)!.Value, d.Verdict, d.Kind)).ToList(),
        };

    // ------------------------------------------------------------------ forecasts

    static ReportTable ForecastOverview(IReadOnlyList<ClydeSeedForecast> forecasts) => new()
    {
        Headers = ["strategy", "nodes", "image GB", "seeding", "rollout", "registry GB", "peer GB", "waves", "piece bound", "layer bound", "x bound", "outcome"],
        Rows = forecasts.Select(f => new[]
        {
            f.Strategy, N(f.NodeCount), f.ImageSizeGB.ToString("0.##", Inv), Time(f.SeedingTime), f.RolloutTime is { } r ? Time(r) : "aborted",
            f.RegistryGB.ToString("0.0", Inv), (f.PeerBytes / 1_073_741_824d).ToString("0.0", Inv), N(f.WaveCount),
            Time(f.PieceLowerBound), Time(f.LayerLowerBound), f.BoundRatio is { } x ? x.ToString("0.00", Inv) : "", f.Outcome,
        }).ToList(),
    };

    static ReportSection ForecastSection(ClydeSeedForecast f, int index, int maxRows)
    {
        var rows = f.Timeline.GroupBy(t => t.Node, StringComparer.Ordinal).Select(g => new ReportRow
        {
            Label = g.Key,
            Bars = g.OrderBy(t => t.Start).Select(t => new ReportBar(t.Phase, t.Source, Sec(t.Start), Math.Max(Sec(t.Start), Sec(t.End)),
                $"{t.Node}: {t.Phase}{(t.Wave > 0 ? $" wave {N(t.Wave)}" : "")}, {t.Source}, {Time(t.Start)} - {Time(t.End)}, " +
                $"{(t.BytesFromRegistry / 1_073_741_824d).ToString("0.##", Inv)} GB from the registry, {(t.BytesFromPeers / 1_073_741_824d).ToString("0.##", Inv)} GB from peers")).ToList(),
        }).ToList();
        var markers = new List<ReportMarker>
        {
            new("piece bound", Sec(f.PieceLowerBound), "Bound"),
            new("layer bound", Sec(f.LayerLowerBound), "Bound"),
        };
        if (f.SeedingTime > TimeSpan.Zero)
        {
            markers.Add(new("deploy", Sec(f.SeedingTime), "Deploy"));
        }
        if (f.RolloutTime is { } r)
        {
            markers.Add(new("rolled out", Sec(r), "Rollout"));
        }
        var timeline = Aggregate($"{f.Strategy}: per-node pulls", rows, maxRows, markers);
        var summary = new List<KeyValuePair<string, string>>
        {
            new("Strategy", f.Strategy),
            new("Nodes", $"{N(f.NodeCount)} ({N(f.PublicNodeCount)} public, {N(f.PrivateNodeCount)} private; {f.ClusterClass})"),
            new("Image", $"{f.ImageSizeGB.ToString("0.##", Inv)} GB in {N(f.LayerSizesBytes.Length)} layer(s)"),
            new("Registry bandwidth", $"{f.RegistryBandwidthMBps.ToString("0.##", Inv)} MB/s"),
            new("Node bandwidth", $"{f.NodeBandwidthMBps.ToString("0.##", Inv)} MB/s"),
            new("NAT bandwidth", f.NatBandwidthMBps is { } nat ? $"{nat.ToString("0.##", Inv)} MB/s" : "not a constraint"),
            new("P2P", f.PeerToPeer ? "on" : "off"),
            new("Seeding time", Time(f.SeedingTime)),
            new("Rollout time", f.RolloutTime is { } rt ? Time(rt) : "aborted"),
            new("Piece-level lower bound", Time(f.PieceLowerBound)),
            new("Layer-level lower bound", Time(f.LayerLowerBound)),
            new("Rollout / piece bound", f.BoundRatio is { } x ? x.ToString("0.00", Inv) : ""),
            new("Registry served", $"{f.RegistryGB.ToString("0.0", Inv)} GB"),
            new("Peers served", $"{(f.PeerBytes / 1_073_741_824d).ToString("0.0", Inv)} GB"),
            new("Waves", N(f.WaveCount)),
            new("Outcome", f.Outcome),
        };
        var tables = new List<KeyValuePair<string, ReportTable>>();
        if (f.Waves.Length > 0)
        {
            tables.Add(new("Waves", new ReportTable
            {
                Headers = ["wave", "source", "nodes", "start", "end", "expansion"],
                Rows = f.Waves.Select(w => new[] { N(w.Number), w.Source, N(w.Nodes), Time(w.Start), w.End is { } e ? Time(e) : "", w.Expansion ? "yes" : "" }).ToList(),
            }));
        }
        if (f.Decisions.Length > 0)
        {
            tables.Add(new("Decisions", new ReportTable
            {
                Headers = ["decision"],
                Rows = f.Decisions.Take(maxRows).Select(d => new[] { d }).ToList(),
                Omitted = Math.Max(0, f.Decisions.Length - maxRows),
            }));
        }
        var notes = new List<string>();
        if (timeline.NodesPerRow > 1)
        {
            notes.Add(AggregationNote(timeline, maxRows));
        }
        return new ReportSection
        {
            Id = $"forecast-{index}",
            Title = $"Forecast: {f.Strategy}",
            Summary = summary,
            Timeline = timeline,
            Tables = tables,
            Notes = notes,
        };
    }

    // ------------------------------------------------------------------ aggregation

    /// <summary>
    /// Keeps one row per node up to <paramref name="maxRows"/>; beyond, orders the nodes by first start (then name) and
    /// merges consecutive groups of ceil(n / maxRows) nodes into one row each (see <see cref="RolloutReportOptions.MaxRows"/>).
    /// </summary>
    public static ReportTimeline Aggregate(string title, IReadOnlyList<ReportRow> rows, int maxRows, List<ReportMarker> markers)
    {
        if (rows.Count <= maxRows)
        {
            return new ReportTimeline { Title = title, Rows = [.. rows], Markers = markers, NodeCount = rows.Count, NodesPerRow = 1 };
        }
        var ordered = rows.OrderBy(r => r.Bars.Count == 0 ? double.MaxValue : r.Bars.Min(b => b.Start))
            .ThenBy(r => r.Label, StringComparer.Ordinal).ToList();
        var per = (int)Math.Ceiling(ordered.Count / (double)maxRows);
        var merged = new List<ReportRow>();
        for (var i = 0; i < ordered.Count; i += per)
        {
            var chunk = ordered.GetRange(i, Math.Min(per, ordered.Count - i));
            var bars = chunk.SelectMany(r => r.Bars).GroupBy(b => b.Phase).Select(g =>
            {
                var sources = g.GroupBy(b => b.Source).OrderByDescending(s => s.Count()).ThenBy(s => s.Key, StringComparer.Ordinal).ToList();
                var source = sources.Count == 1 ? sources[0].Key : "Mixed";
                var start = g.Min(b => b.Start);
                var end = g.Max(b => b.End);
                var detail = $"{chunk.Count} nodes ({chunk[0].Label} to {chunk[^1].Label}), {g.Key}: " +
                    string.Join(", ", sources.Select(s => $"{s.Count()} {s.Key}")) +
                    $"; first start {Time(TimeSpan.FromSeconds(start))}, last end {Time(TimeSpan.FromSeconds(end))}";
                return new ReportBar(g.Key, source, start, end, detail);
            }).ToList();
            merged.Add(new ReportRow
            {
                Label = chunk.Count == 1 ? chunk[0].Label : $"{chunk[0].Label} … {chunk[^1].Label} ({chunk.Count})",
                Nodes = chunk.Count,
                Bars = bars,
            });
        }
        return new ReportTimeline { Title = title, Rows = merged, Markers = markers, NodeCount = rows.Count, NodesPerRow = per };
    }

    static string AggregationNote(ReportTimeline t, int maxRows) =>
        $"{N(t.NodeCount)} nodes are more than the row limit of {N(maxRows)}: each row aggregates up to {N(t.NodesPerRow)} nodes in start order; " +
        "its bar runs from the group's first start to its last end, colored Mixed when the group's sources differ.";

    // ------------------------------------------------------------------ formatting

    /// <summary>A duration as people read it: 12.3 s, 4:05 (m:ss) or 1:02:03 (h:mm:ss), days as 2d 03:04:05.</summary>
    public static string Time(TimeSpan t)
    {
        if (t < TimeSpan.Zero)
        {
            return "-" + Time(-t);
        }
        if (t.TotalSeconds < 60)
        {
            return t.TotalSeconds.ToString("0.0", Inv) + " s";
        }
        if (t.TotalHours < 1)
        {
            return string.Create(Inv, $"{t.Minutes}:{t.Seconds:00}");
        }
        if (t.TotalDays < 1)
        {
            return string.Create(Inv, $"{t.Hours}:{t.Minutes:00}:{t.Seconds:00}");
        }
        return string.Create(Inv, $"{t.Days}d {t.Hours:00}:{t.Minutes:00}:{t.Seconds:00}");
    }

    static double Sec(TimeSpan t) => Math.Max(0, t.TotalSeconds);

    static string N(int n) => n.ToString("N0", Inv);

    static string Num(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("0.##", Inv) : "";

    static string Names(string[] names, int max) =>
        names.Length <= max ? string.Join(", ", names) : string.Join(", ", names.Take(max)) + $" and {N(names.Length - max)} more";

    static double Median(List<double> v)
    {
        v.Sort();
        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }
}
