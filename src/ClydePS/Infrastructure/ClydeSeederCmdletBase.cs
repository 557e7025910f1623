using System.Management.Automation;
using ClydePS.Engine.Seeders;

namespace ClydePS.Infrastructure;

/// <summary>Base of Set-, Get- and Remove-ClydeSeeder: -Label and -TrackerPath, label patches with progress.</summary>
public abstract class ClydeSeederCmdletBase : ClydeClusterCmdletBase
{
    /// <summary>The seeder label, key=value.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Label { get; set; } = SeederLabel.Default.ToString();

    /// <summary>The tracker file, resolved against the current PowerShell location.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string TrackerPath { get; set; } = "./seeder_tracker.json";

    /// <summary>The parsed -Label (InvalidArgument before any request when it is not a valid label).</summary>
    protected SeederLabel ParsedLabel => SeederLabel.Parse(Label);

    /// <summary>-TrackerPath as a full file-system path.</summary>
    protected string ResolvedTrackerPath => ResolvePath(TrackerPath);

    protected bool WhatIfInEffect()
    {
        if (MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? bound))
        {
            return LanguagePrimitives.IsTrue(bound);
        }

        return LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
    }

    /// <summary>Sets or removes the label on the nodes, with Write-Progress; failures are in the outcomes, not thrown.</summary>
    protected IReadOnlyList<LabelOutcome> ApplyLabels(SeederLabel label, IReadOnlyList<(string Name, bool On)> changes, int progressId, string activity)
    {
        var gateway = Gateway;
        int done = 0;
        WriteProgress(new ProgressRecord(progressId, activity, $"Patching {changes.Count} node(s)") { PercentComplete = 0 });
        IReadOnlyList<LabelOutcome> outcomes = Run(ct => SeederService.ApplyAsync(gateway, label, changes, o =>
        {
            int n = Interlocked.Increment(ref done);
            Post(() =>
            {
                WriteVerbose(o.Succeeded
                    ? (o.On ? $"Labelled node {o.Name} with {label}." : $"Removed the label {label.Key} from node {o.Name}.")
                    : o.Error!.Message);
                WriteProgress(new ProgressRecord(progressId, activity, $"{n} of {changes.Count} node(s)")
                {
                    PercentComplete = Math.Min(100, n * 100 / changes.Count),
                });
            });
        }, ct));
        WriteProgress(new ProgressRecord(progressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
        return outcomes;
    }
}
