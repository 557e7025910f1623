using ClydePS.Engine.Kube;
using ClydePS.Engine.Network;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Seeders;

/// <summary>The cluster's nodes and the tracker, read together.</summary>
public sealed record SeederSnapshot(IReadOnlyList<ClydeNode> Nodes, TrackerContent Tracker);

/// <summary>The outcome of one label change. Error is null when it was made (or was already in place).</summary>
public sealed record LabelOutcome(string Name, bool On, ClydeException? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>The seeder pool's cluster side: reads nodes (one paged list) and sets or removes the label (one merge patch per node).</summary>
public static class SeederService
{
    /// <summary>How many label patches run at once.</summary>
    public const int PatchConcurrency = 8;

    /// <summary>Every node (through <see cref="NodeNetworkService"/>) and the tracker file.</summary>
    public static async Task<SeederSnapshot> ReadAsync(ClusterGateway gateway, string trackerPath, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var nodes = await NodeNetworkService.GetNodesAsync(gateway, null, null, ct).ConfigureAwait(false);
        return new SeederSnapshot(nodes, SeederTracker.Read(trackerPath));
    }

    /// <summary>The merge patch that sets (on) or removes (off) the label.</summary>
    public static string PatchBody(SeederLabel label, bool on) =>
        System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["metadata"] = new Dictionary<string, object>
            {
                ["labels"] = new Dictionary<string, string?> { [label.Key] = on ? label.Value : null },
            },
        });

    /// <summary>
    /// Sets or removes the label on each node with a merge patch, <see cref="PatchConcurrency"/> at a time. A node that is
    /// already gone counts as unlabelled when removing; every other failure is recorded in its outcome, never thrown.
    /// <paramref name="onDone"/> is called (on any thread) after each node.
    /// </summary>
    public static async Task<IReadOnlyList<LabelOutcome>> ApplyAsync(ClusterGateway gateway, SeederLabel label,
        IReadOnlyList<(string Name, bool On)> changes, Action<LabelOutcome>? onDone, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(changes);
        var results = new LabelOutcome[changes.Count];
        using var gate = new SemaphoreSlim(PatchConcurrency);
        var tasks = changes.Select(async (change, i) =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                results[i] = await PatchAsync(gateway, label, change.Name, change.On, ct).ConfigureAwait(false);
                onDone?.Invoke(results[i]);
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        return results;
    }

    private static async Task<LabelOutcome> PatchAsync(ClusterGateway gateway, SeederLabel label, string name, bool on, CancellationToken ct)
    {
        var patch = new V1Patch(PatchBody(label, on), V1Patch.PatchType.MergePatch);
        try
        {
            await gateway.CallAsync(on ? "label node" : "unlabel node", name,
                (c, t) => c.CoreV1.PatchNodeAsync(patch, name, cancellationToken: t), ct).ConfigureAwait(false);
            return new LabelOutcome(name, on, null);
        }
        catch (ClydeException ex) when (ex.Kind == ClydeErrorKind.NotFound && !on)
        {
            return new LabelOutcome(name, on, null);
        }
        catch (ClydeException ex) when (ex.Kind != ClydeErrorKind.Cancelled && !ct.IsCancellationRequested)
        {
            string what = on ? $"label node {name} with {label}" : $"remove the label {label.Key} from node {name}";
            var error = ex.Kind == ClydeErrorKind.NotFound
                ? new ClydeException(ClydeErrorKind.NotFound, SeederErrorIds.NodeNotFound, $"Cannot {what}: the node no longer exists.", name, ex)
                : new ClydeException(ex.Kind, ex.ErrorId, $"Cannot {what}: {ex.Message}", name, ex)
                {
                    Operation = ex.Operation,
                    StatusCode = ex.StatusCode,
                    ServerMessage = ex.ServerMessage,
                    ServerReason = ex.ServerReason,
                    IsTransient = ex.IsTransient,
                };
            return new LabelOutcome(name, on, error);
        }
    }
}
