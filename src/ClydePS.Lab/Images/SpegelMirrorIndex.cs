using ClydePS.Lab.Resources;
using k8s.Models;

namespace ClydePS.Lab.Images;

/// <summary>
/// Which nodes run a Ready <c>spegel</c> pod, so the transfer model shares layers exactly from (and to) those
/// nodes' mirrors, as a Spegel install does. Refreshed from the store a few times a second (wall clock):
/// reading it costs one set lookup per transfer decision.
/// </summary>
public sealed class SpegelMirrorIndex
{
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromMilliseconds(200);
    private readonly LabHost lab;
    private volatile HashSet<string> ready = [];

    public SpegelMirrorIndex(LabHost lab) => this.lab = lab;

    public bool IsReady(string node) => ready.Contains(node);

    public async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(RefreshEvery);
        do
        {
            Refresh();
        }
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
    }

    public void Refresh()
    {
        var next = new HashSet<string>(StringComparer.Ordinal);
        foreach (var stored in lab.Store.List(lab.Registry.Pods(), SpegelInstall.Namespace).Items)
        {
            if (stored.Object is V1Pod pod
                && pod.Metadata.Labels is { } labels && labels.TryGetValue("app.kubernetes.io/name", out var app) && app == SpegelInstall.Name
                && pod.Metadata.DeletionTimestamp is null
                && !string.IsNullOrEmpty(pod.Spec?.NodeName)
                && pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true)
            {
                next.Add(pod.Spec.NodeName);
            }
        }

        ready = next;
    }
}
