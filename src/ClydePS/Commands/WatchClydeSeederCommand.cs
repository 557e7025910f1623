using System.Management.Automation;
using ClydePS.Engine.Seeders;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>
/// Watches the seeder pool: a seeder that stays NotReady longer than -NotReadyGracePeriod, or disappears, is unlabelled and
/// replaced (same zone and network class when possible), the images of -ImageFile are pre-pulled on the new seeder, and the
/// tracker is updated under its lock. Emits a ClydeSeederEvent per step. Runs until Ctrl+C or -Timeout; -Once does one pass.
/// </summary>
[Cmdlet(VerbsCommon.Watch, "ClydeSeeder", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ClydeSeederEvent))]
public sealed class WatchClydeSeederCommand : ClydePrePullCmdletBase
{
    /// <summary>How long a seeder may stay NotReady before it is replaced.</summary>
    [Parameter]
    [Duration]
    public TimeSpan NotReadyGracePeriod { get; set; } = SeederWatchOptions.DefaultGracePeriod;

    /// <summary>One reconciliation pass, then stop (for CI).</summary>
    [Parameter]
    public SwitchParameter Once { get; set; }

    /// <summary>Stop watching after this long (default: until Ctrl+C).</summary>
    [Parameter]
    [Duration]
    public TimeSpan Timeout { get; set; }

    /// <summary>One node's pull limit when pre-pulling on a new seeder; default derived from each image's size.</summary>
    [Parameter]
    [Duration]
    public TimeSpan PullTimeout { get; set; }

    /// <summary>Control-plane nodes may replace a seeder.</summary>
    [Parameter]
    public SwitchParameter IncludeControlPlane { get; set; }

    protected override TimeSpan? PullLimit => MyInvocation.BoundParameters.ContainsKey(nameof(PullTimeout)) ? PullTimeout : null;

    protected override void EndProcessing() => Guard(() =>
    {
        ValidateCommon();
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Timeout)))
        {
            RequirePositiveTimeout(Timeout);
        }

        if (NotReadyGracePeriod < TimeSpan.Zero)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeInvalidGracePeriod",
                $"-NotReadyGracePeriod ({NotReadyGracePeriod}) must not be negative: give a duration such as 60s or 5m.", NotReadyGracePeriod);
        }

        // The image list is read and checked up front; without an explicit -ImageFile a missing images.txt only means nothing is pre-pulled.
        IReadOnlyList<PrePullImage>? list = null;
        if (ImageFileBound || File.Exists(ResolvePath(ImageFile)))
        {
            list = ReadImageFile();
        }
        else
        {
            WriteWarning($"No image list at '{ResolvePath(ImageFile)}': new seeders are labelled but nothing is pre-pulled on them. Pass -ImageFile.");
        }

        OpenLog();
        SeederLabel label = ParsedLabel;
        IReadOnlyList<PrePullImageSpec>? specs = list is null ? null : ResolveImages(list);
        var options = new SeederWatchOptions
        {
            Label = label,
            TrackerPath = ResolvedTrackerPath,
            NotReadyGracePeriod = NotReadyGracePeriod,
            IncludeControlPlane = IncludeControlPlane,
            Once = Once,
            Duration = MyInvocation.BoundParameters.ContainsKey(nameof(Timeout)) ? Timeout : null,
        };
        var gateway = Gateway;
        var watch = new SeederWatch(gateway);
        if (WhatIfRequested)
        {
            ShouldProcess($"seeders labelled {label} (tracker '{ResolvedTrackerPath}'): replace those NotReady longer than {NotReadyGracePeriod.TotalSeconds:0.#} s or gone" +
                          (specs is null ? "" : $", and pre-pull {specs.Count} image(s) on each replacement"), "Watch seeders");
            WhatIfPass(Run(ct => watch.PreviewAsync(options, ct)), label, specs?.Count);
            return;
        }

        if (!ShouldProcess($"seeders labelled {label}", "Watch and replace seeders"))
        {
            return;
        }
        Func<string, CancellationToken, Task<IReadOnlyList<ClydePrePullResult>>>? prePull = specs is null
            ? null
            : (node, ct) =>
            {
                // The pre-pull needs the pipeline thread (ShouldProcess, progress): hand it over and wait for it.
                var done = new TaskCompletionSource<IReadOnlyList<ClydePrePullResult>>(TaskCreationOptions.RunContinuationsAsynchronously);
                Post(() =>
                {
                    try
                    {
                        done.TrySetResult(PrePullOn(node, specs));
                    }
                    catch (Exception e)
                    {
                        done.TrySetException(e);
                    }
                });
                return done.Task.WaitAsync(ct);
            };
        Run(ct => watch.RunAsync(options, prePull, e => Post(() => WriteObject(e)), Narrate, ct));
    });

    /// <summary>-WhatIf: what the pass run now would do, seeder by seeder (reads only).</summary>
    private void WhatIfPass(IReadOnlyList<SeederReplacementPlan> plan, SeederLabel label, int? images)
    {
        if (plan.Count == 0)
        {
            ShouldProcess($"seeders labelled {label}: none is NotReady longer than {NotReadyGracePeriod.TotalSeconds:0.#} s or gone now, so this pass replaces nothing", "Replace seeders");
            return;
        }

        foreach (SeederReplacementPlan p in plan)
        {
            string failed = $"seeder {p.Failed.Node} ({p.Failed.Reason})";
            if (p.Replacement is not { } pick)
            {
                ShouldProcess($"{failed}: no eligible node is left to replace it", "Replace seeder");
                continue;
            }

            ShouldProcess($"{failed}: label {pick.Name} {label} (zone {pick.Zone ?? "none"}, {pick.NetworkClass}) in its place" +
                          (p.Gone ? "" : $", unlabel {p.Failed.Node}") +
                          $", write {pick.Name} to the tracker '{ResolvedTrackerPath}'" +
                          (images is { } n ? $", and pre-pull {n} image(s) on {pick.Name}" : ""), "Replace seeder");
        }
    }

    private IReadOnlyList<ClydePrePullResult> PrePullOn(string node, IReadOnlyList<PrePullImageSpec> specs)
    {
        var gateway = Gateway;
        SeederLabel label = ParsedLabel;
        string ns = Namespace;
        PrePullCluster cluster = Run(ct => PrePullCluster.ReadAsync(gateway, label, ns, ct)).Only(node);
        return PrePull(specs, cluster, wholeList: true, write: false) ?? [];
    }
}
