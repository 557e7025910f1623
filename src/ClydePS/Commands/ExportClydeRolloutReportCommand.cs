using System.Management.Automation;
using ClydePS.Engine.Report;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>
/// Writes a rollout report: one self-contained HTML file (summary, per-node timeline by source, the monitor's metrics
/// with thresholds and decisions, forecasts with their bounds), a compact Markdown summary table (CI job summaries,
/// -Append), or the timelines alone as SVG. Takes a ClydeSeedResult (and its ClydeDaemonSet or ClydeRolloutStatus)
/// and/or ClydeSeedForecast objects from the pipeline. Parameter types are PowerShell's own (engine types load privately).
/// </summary>
[Cmdlet(VerbsData.Export, "ClydeRolloutReport", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportClydeRolloutReportCommand : ClydeCmdletBase
{
    private readonly List<object> inputs = [];

    /// <summary>ClydeSeedResult, ClydeDaemonSet, ClydeRolloutStatus or ClydeSeedForecast objects.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public object[] InputObject { get; set; } = [];

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    [ValidateSet("Html", "Markdown", "Svg", IgnoreCase = true)]
    public string Format { get; set; } = "Html";

    /// <summary>Markdown only: add the summary to the end of the file (for example $env:GITHUB_STEP_SUMMARY).</summary>
    [Parameter]
    public SwitchParameter Append { get; set; }

    [Parameter]
    [Alias("NoOverwrite")]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Writes a read-only file too (it stays read-only).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Title { get; set; }

    /// <summary>Timelines with more nodes are aggregated to this many rows (see the help).</summary>
    [Parameter]
    [ValidateRange(1, 100_000)]
    public int MaxRows { get; set; } = RolloutReportOptions.DefaultMaxRows;

    protected override void ProcessRecord() => inputs.AddRange(InputObject);

    protected override void EndProcessing() => Guard(() =>
    {
        string format = char.ToUpperInvariant(Format[0]) + Format[1..].ToLowerInvariant();
        if (Append && format != "Markdown")
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeReportAppendNeedsMarkdown",
                $"-Append adds a summary table to a Markdown file; an {format.ToUpperInvariant()} report is one whole file. Use -Format Markdown -Append, or drop -Append.");
        }

        ClydeSeedResult? seed = null;
        ClydeDaemonSet? daemonSet = null;
        var forecasts = new List<ClydeSeedForecast>();
        foreach (object item in inputs)
        {
            object value = item is PSObject pso ? pso.BaseObject : item;
            switch (value)
            {
                case ClydeSeedResult s when seed is null:
                    seed = s;
                    break;
                case ClydeSeedResult:
                    throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeReportTooManySeedResults",
                        "A report covers one Start-ClydeSeed result: export each result to its own file.", value);
                case ClydeDaemonSet d when daemonSet is null:
                    daemonSet = d;
                    break;
                case ClydeRolloutStatus r when daemonSet is null && r.Kind == RolloutKind.DaemonSet:
                    daemonSet = new ClydeDaemonSet
                    {
                        Name = r.Name, Namespace = r.Namespace, Desired = r.Desired, Ready = r.Ready, Available = r.Available,
                        Updated = r.Updated, Duration = r.Duration, Complete = r.Complete,
                    };
                    break;
                case ClydeDaemonSet or ClydeRolloutStatus { Kind: RolloutKind.DaemonSet }:
                    throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeReportTooManyDaemonSets",
                        "A report covers one DaemonSet rollout: pipe one ClydeDaemonSet (New-ClydeDaemonSet) or ClydeRolloutStatus (Wait-ClydeRollout).", value);
                case ClydeSeedForecast f:
                    forecasts.Add(f);
                    break;
                default:
                    throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeReportInvalidInput",
                        $"Pipe a ClydeSeedResult (Start-ClydeSeed), its ClydeDaemonSet (New-ClydeDaemonSet) or ClydeRolloutStatus (Wait-ClydeRollout), or ClydeSeedForecast objects (Invoke-ClydeSeedSimulation), not '{value}' ({value.GetType().Name}).", value);
            }
        }

        if (seed is null && forecasts.Count == 0)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeReportNoInput",
                daemonSet is null
                    ? "There is nothing to report: pipe a ClydeSeedResult (Start-ClydeSeed) or ClydeSeedForecast objects (Invoke-ClydeSeedSimulation)."
                    : "A DaemonSet alone has no seeding to report: pipe the ClydeSeedResult of Start-ClydeSeed with it.");
        }

        string path = ResolvePath(Path);
        ReportFile.Check(path, Append, NoClobber, Force);
        var report = RolloutReportBuilder.Build(seed, daemonSet, forecasts, new RolloutReportOptions { Title = Title, MaxRows = MaxRows });
        string content = format switch
        {
            "Markdown" => MarkdownReportWriter.Write(report),
            "Svg" => SvgTimelineWriter.Document(report.Sections.Where(s => s.Timeline is not null).Select(s => s.Timeline!).ToList(), report.Title),
            _ => HtmlReportWriter.Write(report),
        };
        string action = Append ? $"Append the {format} rollout summary" : $"Write the {format} rollout report";
        if (!ShouldProcess(path, action))
        {
            return;
        }

        FileInfo file = ReportFile.Write(path, content, Append, NoClobber, Force);
        WriteVerbose($"{(Append ? "Appended" : "Wrote")} the {format} report ({report.Sections.Count} section(s)) to {path}.");
        if (PassThru)
        {
            WriteObject(file);
        }
    });
}
