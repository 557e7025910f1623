using System.Text.RegularExpressions;
using System.Xml.Linq;
using ClydePS.Engine.Report;
using ClydePS.Engine.Seeding.Simulation;
using ClydePS.Engine.Transfer;

namespace ClydePS.Engine.Tests.Report;

public sealed class RolloutReportTests
{
    static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    static readonly RolloutReportOptions Fixed = new() { Generated = T0 };

    const string Evil = "<script>alert('x')</script>&\"|`*_[x]";

    static ClydeSeedResult SeedResult(string? evilNode = null)
    {
        var nodes = new[] { "node-a", "node-b", "node-c", evilNode ?? "node-d" };
        return new ClydeSeedResult
        {
            Image = "example.com/llm/server:v1",
            Digest = "sha256:abc",
            Namespace = "default",
            Strategy = "Adaptive",
            NetworkClass = ClusterNetworkClass.Private,
            Workload = "default/llm",
            Eligible = 8,
            Target = 4,
            SeededNodes = nodes[..3],
            Waves =
            [
                new ClydeSeedWave { Number = 1, Nodes = ["node-a"], Start = T0, End = T0.AddSeconds(40), Source = "Registry" },
                new ClydeSeedWave { Number = 2, Nodes = ["node-b", "node-c", nodes[3]], Start = T0.AddSeconds(41), End = T0.AddSeconds(70), Source = "Peers" },
            ],
            Pulls =
            [
                new ClydeSeedPull { Node = "node-a", Wave = 1, Start = T0.AddSeconds(1), End = T0.AddSeconds(40), Duration = TimeSpan.FromSeconds(39), MBps = 52.5, Succeeded = true },
                new ClydeSeedPull { Node = "node-b", Wave = 2, Start = T0.AddSeconds(42), End = T0.AddSeconds(60), Duration = TimeSpan.FromSeconds(18), MBps = 113.8, Succeeded = true },
                new ClydeSeedPull { Node = "node-c", Wave = 2, Start = T0.AddSeconds(42), End = T0.AddSeconds(65), Duration = TimeSpan.FromSeconds(23), MBps = 89, Succeeded = true },
                new ClydeSeedPull { Node = nodes[3], Wave = 2, Start = T0.AddSeconds(43), End = T0.AddSeconds(50), Duration = TimeSpan.FromSeconds(7), Succeeded = false, Error = evilNode is null ? "node lost" : Evil },
            ],
            Decisions =
            [
                new ClydeSeedDecision { Time = T0, Kind = "Wave", Verdict = "Info", Narrative = "wave 1: 1 node from the registry" },
                new ClydeSeedDecision { Time = T0.AddSeconds(10), Kind = "Window", BandwidthMBps = 0, DropRatePct = 0, Verdict = "Undecided", Narrative = "window 1: 0 of 0 samples succeeded" },
                new ClydeSeedDecision { Time = T0.AddSeconds(20), Kind = "Window", BandwidthMBps = 61.5, JitterMs = 4.2, DropRatePct = 0, Samples = 10, SuccessfulSamples = 10, Verdict = "Healthy", Narrative = "window healthy" },
                new ClydeSeedDecision { Time = T0.AddSeconds(30), Kind = "Monitoring", BandwidthMBps = 12.25, JitterMs = 31, DropRatePct = 5, Samples = 10, SuccessfulSamples = 9, Verdict = "Unhealthy", Narrative = evilNode is null ? "bandwidth below the threshold" : Evil },
                new ClydeSeedDecision { Time = T0.AddSeconds(41), Kind = "Wave", Verdict = "Info", Narrative = "wave 2: 3 nodes from peers" },
                new ClydeSeedDecision { Time = T0.AddSeconds(70), Kind = "Deploy", Verdict = "Info", Narrative = "target reached" },
            ],
            Outcome = "Target reached (3 of 4).",
            Mirror = "kube-system/spegel",
            Start = T0,
            Duration = TimeSpan.FromSeconds(70),
            MonitorBandwidthThreshold = 25,
            MonitorJitterThreshold = 20,
            MonitorDropThreshold = 1,
        };
    }

    static readonly ClydeDaemonSet Ds = new() { Name = "llm", Namespace = "default", Image = "example.com/llm/server:v1", Desired = 8, Ready = 8, Available = 8, Duration = TimeSpan.FromSeconds(95), Complete = true };

    static ClydeSeedForecast Forecast(int nodes, string strategy = "Doubling", Func<int, string>? source = null) => new()
    {
        Strategy = strategy,
        NodeCount = nodes,
        ClusterClass = ClusterNetworkClass.Private,
        ImageSizeBytes = 20L << 30,
        LayerSizesBytes = [1L << 30, 19L << 30],
        RegistryBandwidthMBps = 500,
        NodeBandwidthMBps = 250,
        PeerToPeer = true,
        SeedingTime = TimeSpan.FromMinutes(10),
        RolloutTime = TimeSpan.FromMinutes(12),
        Outcome = "Deployed",
        RegistryBytes = 40L << 30,
        PeerBytes = 60L << 30,
        PieceLowerBound = TimeSpan.FromMinutes(2),
        LayerLowerBound = TimeSpan.FromMinutes(3),
        Timeline = Enumerable.Range(0, nodes).Select(i => new ClydeSeedForecastNode
        {
            Node = $"node-{i:0000}",
            Phase = i < nodes / 2 ? "Seed" : "Rollout",
            Source = source?.Invoke(i) ?? (i < 2 ? "Registry" : "Peers"),
            Wave = i < nodes / 2 ? 1 : 0,
            Start = TimeSpan.FromSeconds(i),
            End = TimeSpan.FromSeconds(i + 100),
        }).ToArray(),
    };

    static int Count(string text, string pattern) => Regex.Matches(text, pattern).Count;

    [Fact]
    public void HtmlShowsSummaryTimelineBySourceMetricsWithThresholdsAndDecisions()
    {
        var html = HtmlReportWriter.Write(RolloutReportBuilder.Build(SeedResult(), Ds, [], Fixed));

        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<title>ClydePS rollout report: example.com/llm/server:v1</title>", html);
        Assert.Equal(4, Count(html, "<g class=\"row\" data-node="));
        Assert.Contains("data-node=\"node-a\"", html);
        Assert.Contains("<rect class=\"bar\" data-source=\"Registry\"", html);
        Assert.Equal(2, Count(html, "<rect class=\"bar\" data-source=\"Peers\""));
        Assert.Contains("<rect class=\"bar\" data-source=\"Failed\"", html);
        Assert.Contains("<tr><th>Pulls from the registry</th><td>1</td></tr>", html);
        Assert.Contains("<tr><th>Pulls from peers</th><td>2</td></tr>", html);
        Assert.Contains("<tr><th>Seeding + DaemonSet</th><td>2:45</td></tr>", html);
        Assert.Contains("8/8 available in 1:35", html);
        // Monitor metrics: one chart per metric, each with its threshold and the verdicts.
        Assert.Contains("data-metric=\"Bandwidth\"", html);
        Assert.Contains("data-metric=\"Jitter\"", html);
        Assert.Contains("data-metric=\"Drop rate\"", html);
        Assert.Contains("threshold (minimum) 25 MB/s", html);
        Assert.Contains("threshold (maximum) 20 ms", html);
        Assert.Contains("threshold (maximum) 1 %", html);
        Assert.Equal(3, Count(html, "data-verdict=\"Unhealthy\""));
        Assert.Equal(0, Count(html, "data-verdict=\"Undecided\""));   // a window without samples measured nothing
        Assert.Contains("<td>window 1: 0 of 0 samples succeeded</td>", html);
        Assert.Contains("<td>bandwidth below the threshold</td>", html);
        Assert.Contains("seeding done 1:10", html);
        Assert.Contains("DaemonSet rolled out 2:45", html);
        // Self-contained: no script, no external reference.
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotMatch("(src|href)=", html);
        Assert.DoesNotContain("@import", html);
    }

    [Fact]
    public void EveryInputStringIsEscapedInHtmlSvgAndMarkdown()
    {
        var seed = SeedResult(evilNode: Evil);
        var report = RolloutReportBuilder.Build(seed, null, [Forecast(3, strategy: Evil)], Fixed with { Title = Evil });
        var html = HtmlReportWriter.Write(report);
        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("alert('x')", html);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;", html);

        var svg = SvgTimelineWriter.Document(report.Sections.Select(s => s.Timeline!).ToList(), Evil);
        var doc = XDocument.Parse(svg);   // well-formed XML despite the input
        Assert.Contains(doc.Descendants().Where(e => e.Name.LocalName == "text"), e => e.Value == Evil);

        var md = MarkdownReportWriter.Write(report);
        Assert.DoesNotContain("<script>", md);
        Assert.Contains("&lt;script&gt;alert('x')&lt;/script&gt;&amp;\"\\|\\`\\*\\_\\[x\\]", md);
        // Every table row keeps its column count: no pipe from the input splits a cell.
        foreach (var table in md.Split("\n\n").Where(b => b.StartsWith('|')))
        {
            var rows = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var columns = rows.Select(r => Regex.Matches(r, @"(?<!\\)\|").Count).Distinct().ToList();
            Assert.Single(columns);
        }
    }

    [Fact]
    public void FiveThousandNodesAreAggregatedToTheRowLimitCountingEveryNodeOnce()
    {
        var forecast = Forecast(5000, source: i => i % 7 == 0 ? "Registry" : "Peers");
        var report = RolloutReportBuilder.Build(null, null, [forecast], Fixed);
        var t = report.Sections.Single().Timeline!;

        Assert.Equal(5000, t.NodeCount);
        Assert.Equal(25, t.NodesPerRow);
        Assert.Equal(200, t.Rows.Count);
        Assert.Equal(5000, t.Rows.Sum(r => r.Nodes));
        Assert.Equal("node-0000 … node-0024 (25)", t.Rows[0].Label);
        // A group whose nodes pulled from both sources is Mixed; its bar spans the group's first start to last end.
        var first = Assert.Single(t.Rows[0].Bars);
        Assert.Equal("Mixed", first.Source);
        Assert.Equal(0, first.Start);
        Assert.Equal(124, first.End);
        Assert.Contains("4 Registry", first.Detail);
        Assert.Contains("21 Peers", first.Detail);
        // Each group keeps one bar per phase: the first 2,500 nodes seeded, the rest pulled in the rollout.
        Assert.All(t.Rows.Take(100), r => Assert.Equal("Seed", Assert.Single(r.Bars).Phase));
        Assert.All(t.Rows.Skip(100), r => Assert.Equal("Rollout", Assert.Single(r.Bars).Phase));
        var straddling = RolloutReportBuilder.Build(null, null, [forecast], Fixed with { MaxRows = 3 }).Sections.Single().Timeline!;
        Assert.Equal(["Seed", "Rollout"], straddling.Rows[1].Bars.Select(b => b.Phase));

        var html = HtmlReportWriter.Write(report);
        Assert.Equal(200, Count(html, "<g class=\"row\""));
        Assert.Contains("5,000 nodes are more than the row limit of 200: each row aggregates up to 25 nodes", html);
        Assert.True(html.Length < 400_000, $"the 5,000-node report is {html.Length:N0} characters");
    }

    [Fact]
    public void BelowTheRowLimitEveryNodeHasItsOwnRow()
    {
        var t = RolloutReportBuilder.Build(null, null, [Forecast(200)], Fixed).Sections.Single().Timeline!;
        Assert.Equal(1, t.NodesPerRow);
        Assert.Equal(200, t.Rows.Count);
        Assert.All(t.Rows, r => Assert.False(r.Aggregated));

        var small = RolloutReportBuilder.Build(null, null, [Forecast(10)], Fixed with { MaxRows = 3 }).Sections.Single().Timeline!;
        Assert.Equal(4, small.NodesPerRow);
        Assert.Equal([4, 4, 2], small.Rows.Select(r => r.Nodes));
    }

    [Fact]
    public void PullTableIsCutAtTheRowLimitAndSaysHowManyItLeftOut()
    {
        var report = RolloutReportBuilder.Build(SeedResult(), null, [], Fixed with { MaxRows = 2 });
        var pulls = report.Sections.Single().Tables.Single(t => t.Key == "Pulls").Value;
        Assert.Equal(2, pulls.Rows.Count);
        Assert.Equal(2, pulls.Omitted);
        Assert.Contains("2 more row(s) not shown", HtmlReportWriter.Write(report));
    }

    [Fact]
    public void ForecastsOfRealSimulationsGetOneTimelinePerStrategyWithTheBounds()
    {
        var input = new SeedSimulationInput
        {
            Nodes = SeedSimulationInput.MakeNodes(8, 0),
            Layers = ImageLayering.Default(2L << 30),
            RegistryBandwidthMBps = 100,
            NodeBandwidthMBps = 250,
            PeerToPeer = true,
        };
        var forecasts = SeedSimulator.Run(input, [SimulatedStrategy.Direct, SimulatedStrategy.Doubling]);
        var report = RolloutReportBuilder.Build(null, null, forecasts, Fixed);

        Assert.Equal(["Forecast: Direct", "Forecast: Doubling"], report.Sections.Select(s => s.Title));
        var overview = Assert.Single(report.Overview).Value;
        Assert.Equal(["Direct", "Doubling"], overview.Rows.Select(r => r[0]));
        foreach (var (section, f) in report.Sections.Zip(forecasts))
        {
            var t = section.Timeline!;
            Assert.Equal(8, t.Rows.Count);
            Assert.Contains(t.Markers, m => m.Label == "piece bound" && Math.Abs(m.Seconds - f.PieceLowerBound.TotalSeconds) < 1e-6);
            Assert.Contains(t.Markers, m => m.Label == "layer bound" && Math.Abs(m.Seconds - f.LayerLowerBound.TotalSeconds) < 1e-6);
            Assert.Equal(f.RolloutTime!.Value.TotalSeconds, t.Span, 6);
        }
        Assert.All(report.Sections[0].Timeline!.Rows.SelectMany(r => r.Bars), b => Assert.Equal("Registry", b.Source));
        Assert.Contains(report.Sections[1].Timeline!.Rows.SelectMany(r => r.Bars), b => b.Source == "Peers");

        var html = HtmlReportWriter.Write(report);
        Assert.Contains("<h2>Forecast: Doubling</h2>", html);
        Assert.Contains($"piece bound {RolloutReportBuilder.Time(forecasts[0].PieceLowerBound)}", html);
    }

    [Fact]
    public void MarkdownIsTheCompactSummaryTable()
    {
        var md = MarkdownReportWriter.Write(RolloutReportBuilder.Build(SeedResult(), Ds, [Forecast(4)], Fixed));
        var lines = md.Split('\n');
        Assert.Equal("### ClydePS rollout report: example.com/llm/server:v1", lines[0]);
        Assert.Contains("| image | strategy | network | eligible | target | seeded | failed | waves | seeding | DaemonSet | total | outcome |", lines);
        Assert.Contains("| example.com/llm/server:v1 | Adaptive | Private | 8 | 4 | 3 | 1 | 2 | 1:10 | 8/8 available in 1:35 | 2:45 | Target reached (3 of 4). |", lines);
        Assert.Contains(lines, l => l.StartsWith("| Doubling | 4 | 20 | 10:00 | 12:00 | 40.0 | 60.0 | 0 | 2:00 | 3:00 | 6.00 | Deployed |", StringComparison.Ordinal));
        Assert.DoesNotContain("<svg", md);
    }

    [Fact]
    public void StandaloneSvgStacksOneBlockPerStrategyOnOneAxis()
    {
        var report = RolloutReportBuilder.Build(null, null, [Forecast(4, "Direct"), Forecast(4, "Doubling")], Fixed);
        var svg = SvgTimelineWriter.Document(report.Sections.Select(s => s.Timeline!).ToList(), "scenario 1");
        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", doc.Root!.Name);
        var titles = doc.Descendants(ns + "text").Where(e => (string?)e.Attribute("class") == "timeline-title").Select(e => e.Value).ToList();
        Assert.Equal(["Direct: per-node pulls", "Doubling: per-node pulls"], titles);
        Assert.Equal(8, doc.Descendants(ns + "g").Count(e => (string?)e.Attribute("class") == "row"));
    }

    [Fact]
    public void BuildRejectsAnEmptyReportAndABadRowLimit()
    {
        Assert.Throws<ArgumentException>(() => RolloutReportBuilder.Build(null, Ds, [], Fixed));
        Assert.Throws<ArgumentOutOfRangeException>(() => RolloutReportBuilder.Build(SeedResult(), null, [], Fixed with { MaxRows = 0 }));
    }

    [Theory]
    [InlineData(12.34, "12.3 s")]
    [InlineData(125, "2:05")]
    [InlineData(3723, "1:02:03")]
    [InlineData(2 * 86400 + 3600 + 62, "2d 01:01:02")]
    public void TimesReadAsPeopleWriteThem(double seconds, string expected) =>
        Assert.Equal(expected, RolloutReportBuilder.Time(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void ReportFileWritesLikeOutFile()
    {
        var dir = Directory.CreateTempSubdirectory("clydeps-report-");
        try
        {
            var path = Path.Combine(dir.FullName, "r.md");
            ReportFile.Write(path, "one\n", append: false, noClobber: false, force: false);
            ReportFile.Write(path, "two\n", append: false, noClobber: false, force: false);
            Assert.Equal("two\n", File.ReadAllText(path));

            var ex = Assert.Throws<ClydeException>(() => ReportFile.Write(path, "three\n", append: false, noClobber: true, force: false));
            Assert.Equal("ClydeReportFileExists", ex.ErrorId);
            ReportFile.Write(path, "three\n", append: true, noClobber: true, force: false);
            Assert.Equal("two\n\nthree\n", File.ReadAllText(path));
            var bytes = File.ReadAllBytes(path);
            Assert.NotEqual(0xEF, bytes[0]);   // no BOM

            new FileInfo(path).IsReadOnly = true;
            if (!new FileInfo(path).IsReadOnly || Environment.UserName == "root" && OperatingSystem.IsWindows())
            {
                return;
            }
            ex = Assert.Throws<ClydeException>(() => ReportFile.Write(path, "four\n", append: false, noClobber: false, force: false));
            Assert.Equal("ClydeReportFileReadOnly", ex.ErrorId);
            ReportFile.Write(path, "four\n", append: false, noClobber: false, force: true);
            Assert.Equal("four\n", File.ReadAllText(path));
            Assert.True(new FileInfo(path).IsReadOnly);

            ex = Assert.Throws<ClydeException>(() => ReportFile.Check(Path.Combine(dir.FullName, "missing", "r.html"), false, false, false));
            Assert.Equal("ClydeReportFolderNotFound", ex.ErrorId);
            ex = Assert.Throws<ClydeException>(() => ReportFile.Check(dir.FullName, false, false, false));
            Assert.Equal("ClydeReportPathIsDirectory", ex.ErrorId);
        }
        finally
        {
            foreach (var f in dir.GetFiles())
            {
                f.IsReadOnly = false;
            }
            dir.Delete(true);
        }
    }
}

public sealed class PullSourceTests
{
    [Theory]
    [InlineData("registry=100,peers=0", 100L, 0L)]
    [InlineData("peers=7, registry=3", 3L, 7L)]
    public void TheLabsPulledBytesAnnotationIsRead(string value, long registry, long peers)
    {
        var annotations = new Dictionary<string, string> { [ClydePS.Engine.Kube.LabInfo.PulledBytesAnnotationPrefix + "seed"] = value };
        Assert.Equal((registry, peers), ClydePS.Engine.Kube.LabInfo.PulledBytes(annotations, "seed"));
        Assert.Null(ClydePS.Engine.Kube.LabInfo.PulledBytes(annotations, "other"));
        Assert.Equal((registry, peers), ClydePS.Engine.Kube.LabInfo.PulledBytes(
            new Dictionary<string, string> { [ClydePS.Engine.Kube.LabInfo.PulledBytesAnnotationPrefix + "seed"] = ClydePS.Engine.Kube.LabInfo.FormatPulledBytes(registry, peers) }, "seed"));
    }

    [Theory]
    [InlineData("registry=x,peers=1")]
    [InlineData("peers=1")]
    [InlineData("")]
    public void AMalformedAnnotationMeansUnknown(string value) =>
        Assert.Null(ClydePS.Engine.Kube.LabInfo.PulledBytes(new Dictionary<string, string> { [ClydePS.Engine.Kube.LabInfo.PulledBytesAnnotationPrefix + "seed"] = value }, "seed"));

    [Theory]
    [InlineData(100L, 0L, "Registry")]
    [InlineData(0L, 100L, "Peers")]
    [InlineData(1L, 100L, "Mixed")]
    [InlineData(0L, 0L, null)]
    [InlineData(null, null, null)]
    public void APullsSourceFollowsItsBytes(long? registry, long? peers, string? source) =>
        Assert.Equal(source, new ClydeSeedPull { BytesFromRegistry = registry, BytesFromPeers = peers }.Source);

    [Fact]
    public void TheReportPrefersThePullsOwnSourceToItsWaves()
    {
        var t0 = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var seed = new ClydeSeedResult
        {
            Image = "i",
            Start = t0,
            Duration = TimeSpan.FromSeconds(10),
            Waves = [new ClydeSeedWave { Number = 1, Nodes = ["a", "b"], Start = t0, Source = "Unknown" }],
            Pulls =
            [
                new ClydeSeedPull { Node = "a", Wave = 1, Start = t0, End = t0.AddSeconds(5), Succeeded = true, BytesFromPeers = 10, BytesFromRegistry = 0 },
                new ClydeSeedPull { Node = "b", Wave = 1, Start = t0, End = t0.AddSeconds(5), Succeeded = true },
            ],
        };
        var bars = ClydePS.Engine.Report.RolloutReportBuilder.Build(seed, null, []).Sections.Single().Timeline!.Rows.ToDictionary(r => r.Label, r => r.Bars.Single().Source);
        Assert.Equal("Peers", bars["a"]);
        Assert.Equal("Unknown", bars["b"]);
    }
}
