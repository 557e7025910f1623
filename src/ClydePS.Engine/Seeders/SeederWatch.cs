using System.Threading.Channels;
using ClydePS.Engine.Kube;
using ClydePS.Engine.Network;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Seeders;

/// <summary>What Watch-ClydeSeeder watches for.</summary>
public sealed record SeederWatchOptions
{
    public static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(60);

    public required SeederLabel Label { get; init; }
    public required string TrackerPath { get; init; }

    /// <summary>How long a seeder may stay NotReady before it is replaced (Lab time on a Lab).</summary>
    public TimeSpan NotReadyGracePeriod { get; init; } = DefaultGracePeriod;

    public bool IncludeControlPlane { get; init; }

    /// <summary>One reconciliation pass, then return.</summary>
    public bool Once { get; init; }

    /// <summary>How long to watch; null until cancelled.</summary>
    public TimeSpan? Duration { get; init; }

    public TimeSpan LockTimeout { get; init; } = SeederTracker.DefaultLockTimeout;

    /// <summary>Wait after the watch failed before it starts again.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>A seeder that must be replaced, and why.</summary>
public sealed record SeederFailure(string Node, string Reason, string? Zone, NetworkClass? NetworkClass);

/// <summary>
/// What a pass would do for one failed seeder: the node that would replace it (null when no eligible node is left), and
/// whether the failed seeder's node is gone (so there is no label to remove).
/// </summary>
public sealed record SeederReplacementPlan(SeederFailure Failed, ClydeNode? Replacement, bool Gone);

/// <summary>
/// Watch-ClydeSeeder's engine, the health monitor the original ClydeSeeder only drew. Keeps a view of the nodes (one list,
/// then a watch that resumes after dropped streams; a watch that fails outright is restarted after
/// <see cref="SeederWatchOptions.RetryDelay"/>), and reconciles the pool (the tracker's names and the labelled nodes) on every
/// change and when a grace period ends: a seeder that is gone, or NotReady for longer than the grace period (since its Ready
/// condition's lastTransitionTime, else since it was seen NotReady), is unlabelled and replaced by
/// <see cref="SeederPool.PickReplacement"/>, the tracker updated under its lock, and the images pre-pulled on the new seeder
/// through the callback. Every step is reported as a <see cref="ClydeSeederEvent"/>.
/// </summary>
public sealed class SeederWatch(ClusterGateway gateway)
{
    /// <summary>The failed seeders of the pool at <paramref name="now"/>, and when the next grace period ends (null: none pending).</summary>
    public static (IReadOnlyList<SeederFailure> Due, DateTimeOffset? NextWake) Evaluate(IReadOnlyDictionary<string, V1Node> nodes, IReadOnlyCollection<string> pool,
        IReadOnlyDictionary<string, DateTimeOffset> notReadySince, IReadOnlyDictionary<string, ClydeNode> lastSeen, DateTimeOffset now, TimeSpan grace)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(pool);
        var due = new List<SeederFailure>();
        DateTimeOffset? wake = null;
        foreach (var name in pool.OrderBy(n => n, StringComparer.Ordinal))
        {
            if (!nodes.TryGetValue(name, out var node))
            {
                var seen = lastSeen.GetValueOrDefault(name);
                due.Add(new SeederFailure(name, "the node is gone", seen?.Zone, seen?.NetworkClass));
                continue;
            }
            if (NodeMapper.IsReady(node))
            {
                continue;
            }
            var since = NotReadySince(node) ?? notReadySince.GetValueOrDefault(name, now);
            var mapped = NodeMapper.ToClydeNode(node);
            if (now - since >= grace)
            {
                due.Add(new SeederFailure(name, $"NotReady for {(now - since).TotalSeconds:0} s (grace period {grace.TotalSeconds:0.#} s)", mapped.Zone, mapped.NetworkClass));
            }
            else if (wake is null || since + grace < wake)
            {
                wake = since + grace;
            }
        }
        return (due, wake);
    }

    /// <summary>The Ready condition's lastTransitionTime when the node is not Ready, else null.</summary>
    public static DateTimeOffset? NotReadySince(V1Node node)
    {
        var ready = node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
        return ready is { Status: not "True", LastTransitionTime: { } at } ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null;
    }

    /// <summary>
    /// How far the cluster's clock runs ahead of ours: the latest node lease renewal (kube-node-lease) minus our now, at least 0.
    /// Node conditions carry the cluster's timestamps; on a Lab started before this session, and on a cluster whose clock is
    /// ahead, comparing them with our clock alone would make NotReady seeders look younger than they are. 0 when leases cannot be read.
    /// </summary>
    async Task<TimeSpan> ClusterSkewAsync(CancellationToken ct)
    {
        try
        {
            var leases = await gateway.CallAsync("list node leases", "kube-node-lease",
                (c, t) => c.CoordinationV1.ListNamespacedLeaseAsync("kube-node-lease", cancellationToken: t), ct).ConfigureAwait(false);
            var latest = leases.Items.Select(l => l.Spec?.RenewTime).Where(t => t is not null).Select(t => DateTime.SpecifyKind(t!.Value, DateTimeKind.Utc)).DefaultIfEmpty().Max();
            var skew = latest == default ? TimeSpan.Zero : new DateTimeOffset(latest) - gateway.LabTime.GetUtcNow();
            return skew > TimeSpan.Zero ? skew : TimeSpan.Zero;
        }
        catch (ClydeException)
        {
            return TimeSpan.Zero;
        }
    }

    sealed record NodeChange(WatchEventType Type, V1Node Node);
    sealed record WatchBroke(ClydeException Error);

    /// <summary>
    /// Watches until cancelled or <see cref="SeederWatchOptions.Duration"/> ends (or one pass with <see cref="SeederWatchOptions.Once"/>).
    /// <paramref name="prePull"/> pre-pulls the images on a new seeder; null or an empty result skips it.
    /// </summary>
    public async Task RunAsync(SeederWatchOptions options, Func<string, CancellationToken, Task<IReadOnlyList<ClydePrePullResult>>>? prePull,
        Action<ClydeSeederEvent> emit, Action<string, string>? log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(emit);
        var clock = gateway.LabTime;
        var end = options.Duration is { } d ? clock.GetUtcNow() + d : (DateTimeOffset?)null;
        var skew = await ClusterSkewAsync(ct).ConfigureAwait(false);
        DateTimeOffset ClusterNow() => clock.GetUtcNow() + skew;
        var nodes = new Dictionary<string, V1Node>(StringComparer.Ordinal);
        var lastSeen = new Dictionary<string, ClydeNode>(StringComparer.Ordinal);
        var notReadySince = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var noReplacement = new HashSet<string>(StringComparer.Ordinal);
        void Log(string level, string message) => log?.Invoke(level, message);

        await RefreshViewAsync(nodes, lastSeen, ct).ConfigureAwait(false);
        var wake = await ReconcileAsync(options, nodes, lastSeen, notReadySince, noReplacement, prePull, emit, Log, skew, ct).ConfigureAwait(false);
        if (options.Once)
        {
            return;
        }

        var inbox = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watcher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await foreach (var (type, node) in gateway.WatchNodesAsync(null, stop.Token).ConfigureAwait(false))
                    {
                        inbox.Writer.TryWrite(new NodeChange(type, node));
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (ClydeException e)
                {
                    inbox.Writer.TryWrite(new WatchBroke(e));
                    try
                    {
                        await Task.Delay(options.RetryDelay, clock, stop.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
        }, CancellationToken.None);

        try
        {
            while (true)
            {
                var now = clock.GetUtcNow();
                if (end is { } e && now >= e)
                {
                    Log("INFO", "Watch-ClydeSeeder: -Timeout reached; stopping.");
                    return;
                }
                // wake is on the cluster's clock, end on ours.
                var deadline = new[] { wake - skew, end }.Where(t => t is not null).Select(t => t!.Value).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    var read = inbox.Reader.WaitToReadAsync(wait.Token).AsTask();
                    if (deadline != DateTimeOffset.MaxValue)
                    {
                        var delay = Task.Delay(deadline - now > TimeSpan.FromMilliseconds(1) ? deadline - now : TimeSpan.FromMilliseconds(1), clock, wait.Token);
                        await Task.WhenAny(read, delay).ConfigureAwait(false);
                    }
                    else
                    {
                        await Task.WhenAny(read).ConfigureAwait(false);
                    }
                    wait.Cancel();
                }
                ct.ThrowIfCancellationRequested();

                var changed = false;
                var pool = ReadPool(options, nodes);
                while (inbox.Reader.TryRead(out var item))
                {
                    switch (item)
                    {
                        case WatchBroke broke:
                            Log("WARNING", $"The node watch failed ({broke.Error.Message}); starting it again in {options.RetryDelay.TotalSeconds:0.#} s.");
                            emit(new ClydeSeederEvent { Time = ClusterNow(), Kind = SeederEventKind.Error, Reason = broke.Error.Message });
                            break;
                        case NodeChange { Type: WatchEventType.Deleted } del:
                            nodes.Remove(del.Node.Metadata.Name);
                            changed = true;
                            break;
                        case NodeChange change:
                        {
                            var name = change.Node.Metadata.Name;
                            var known = nodes.TryGetValue(name, out var before);
                            var wasReady = !known || NodeMapper.IsReady(before!);
                            var wasLabelled = known && options.Label.IsOn(new Dictionary<string, string>(before!.Metadata.Labels ?? new Dictionary<string, string>()));
                            var isReady = NodeMapper.IsReady(change.Node);
                            nodes[name] = change.Node;
                            var mapped = NodeMapper.ToClydeNode(change.Node);
                            lastSeen[name] = mapped;
                            var seeder = pool.Contains(name) || options.Label.IsOn(mapped.Labels);
                            if (wasReady && !isReady)
                            {
                                notReadySince.TryAdd(name, NotReadySince(change.Node) ?? ClusterNow());
                                if (seeder)
                                {
                                    Log("WARNING", $"Seeder {name} is NotReady; it is replaced if it stays so for {options.NotReadyGracePeriod.TotalSeconds:0.#} s.");
                                    emit(new ClydeSeederEvent { Time = ClusterNow(), Kind = SeederEventKind.NotReady, Node = name, Zone = mapped.Zone, NetworkClass = mapped.NetworkClass, Reason = "NotReady" });
                                }
                            }
                            else if (!wasReady && isReady)
                            {
                                notReadySince.Remove(name);
                                noReplacement.Remove(name);
                                if (seeder)
                                {
                                    Log("INFO", $"Seeder {name} is Ready again.");
                                    emit(new ClydeSeederEvent { Time = ClusterNow(), Kind = SeederEventKind.Recovered, Node = name, Zone = mapped.Zone, NetworkClass = mapped.NetworkClass, Reason = "Ready again within the grace period" });
                                }
                            }
                            changed |= !known || wasReady != isReady || wasLabelled != options.Label.IsOn(mapped.Labels);
                            break;
                        }
                    }
                }
                if (changed || (wake is { } w && ClusterNow() >= w))
                {
                    wake = await ReconcileAsync(options, nodes, lastSeen, notReadySince, noReplacement, prePull, emit, Log, skew, ct).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            stop.Cancel();
            try
            {
                await watcher.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>
    /// What one pass would do now (-WhatIf), changing nothing: the seeders that must be replaced and the node picked for each,
    /// decided as <see cref="RunAsync"/>'s first pass decides them.
    /// </summary>
    public async Task<IReadOnlyList<SeederReplacementPlan>> PreviewAsync(SeederWatchOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var skew = await ClusterSkewAsync(ct).ConfigureAwait(false);
        var nodes = new Dictionary<string, V1Node>(StringComparer.Ordinal);
        var lastSeen = new Dictionary<string, ClydeNode>(StringComparer.Ordinal);
        await RefreshViewAsync(nodes, lastSeen, ct).ConfigureAwait(false);
        var pool = ReadPool(options, nodes);
        var now = gateway.LabTime.GetUtcNow() + skew;
        var (due, _) = Evaluate(nodes, pool, new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal), lastSeen, now, options.NotReadyGracePeriod);
        var clydeNodes = nodes.Values.Select(n => NodeMapper.ToClydeNode(n)).ToList();
        var plan = new List<SeederReplacementPlan>();
        foreach (var failed in due)
        {
            var pick = SeederPool.PickReplacement(clydeNodes, pool, options.Label, failed.Zone, failed.NetworkClass, options.IncludeControlPlane);
            plan.Add(new SeederReplacementPlan(failed, pick, !nodes.ContainsKey(failed.Node)));
            if (pick is not null)
            {
                Adopt(options.Label, nodes, clydeNodes, pool, failed.Node, pick.Name);
            }
        }
        return plan;
    }

    /// <summary>The pass's view after <paramref name="replacement"/> took <paramref name="failed"/>'s place, so the next pick (and pass) sees it.</summary>
    static void Adopt(SeederLabel label, Dictionary<string, V1Node> nodes, List<ClydeNode> clydeNodes, HashSet<string> pool, string failed, string replacement)
    {
        pool.Remove(failed);
        pool.Add(replacement);
        if (nodes.TryGetValue(replacement, out var picked))
        {
            picked.Metadata.Labels ??= new Dictionary<string, string>();
            picked.Metadata.Labels[label.Key] = label.Value;
            clydeNodes[clydeNodes.FindIndex(n => n.Name == replacement)] = NodeMapper.ToClydeNode(picked);
        }
        if (nodes.TryGetValue(failed, out var old))
        {
            old.Metadata.Labels?.Remove(label.Key);
        }
    }

    static HashSet<string> ReadPool(SeederWatchOptions options, IReadOnlyDictionary<string, V1Node> nodes)
    {
        var tracker = SeederTracker.Read(options.TrackerPath);
        var pool = new HashSet<string>(tracker.Names, StringComparer.Ordinal);
        foreach (var node in nodes.Values)
        {
            if (options.Label.IsOn(new Dictionary<string, string>(node.Metadata.Labels ?? new Dictionary<string, string>())))
            {
                pool.Add(node.Metadata.Name);
            }
        }
        return pool;
    }

    static (IReadOnlyList<SeederFailure> Due, DateTimeOffset? NextWake) EvaluateView(SeederWatchOptions options, Dictionary<string, V1Node> nodes,
        HashSet<string> pool, Dictionary<string, DateTimeOffset> notReadySince, Dictionary<string, ClydeNode> lastSeen, DateTimeOffset now)
    {
        foreach (var n in nodes.Values.Where(n => !NodeMapper.IsReady(n)))
        {
            notReadySince.TryAdd(n.Metadata.Name, now);
        }
        return Evaluate(nodes, pool, notReadySince, lastSeen, now, options.NotReadyGracePeriod);
    }

    /// <summary>Replaces the view with a fresh node list (nodes no longer listed are gone; their last sight is kept).</summary>
    async Task RefreshViewAsync(Dictionary<string, V1Node> nodes, Dictionary<string, ClydeNode> lastSeen, CancellationToken ct)
    {
        var listed = await gateway.ListNodesAsync(null, ct).ConfigureAwait(false);
        nodes.Clear();
        foreach (var node in listed)
        {
            nodes[node.Metadata.Name] = node;
            lastSeen[node.Metadata.Name] = NodeMapper.ToClydeNode(node);
        }
    }

    /// <summary>One pass: replaces the failed seeders (under the tracker's lock), then pre-pulls on the new ones. Returns the next wake-up.</summary>
    async Task<DateTimeOffset?> ReconcileAsync(SeederWatchOptions options, Dictionary<string, V1Node> nodes, Dictionary<string, ClydeNode> lastSeen,
        Dictionary<string, DateTimeOffset> notReadySince, HashSet<string> noReplacement,
        Func<string, CancellationToken, Task<IReadOnlyList<ClydePrePullResult>>>? prePull, Action<ClydeSeederEvent> emit, Action<string, string> log,
        TimeSpan skew, CancellationToken ct)
    {
        var clock = gateway.LabTime;
        DateTimeOffset ClusterNow() => clock.GetUtcNow() + skew;
        var label = options.Label;
        var replaced = new List<(SeederFailure Failed, ClydeNode New)>();
        DateTimeOffset? wake;
        using (await SeederTracker.LockAsync(options.TrackerPath, options.LockTimeout, null, ct).ConfigureAwait(false))
        {
            var tracker = SeederTracker.Read(options.TrackerPath);
            if (tracker.IsCorrupt)
            {
                log("WARNING", $"The seeder tracker '{options.TrackerPath}' is corrupt ({tracker.Corruption}); using the labelled nodes. Set-ClydeSeeder rebuilds it.");
            }
            var pool = ReadPool(options, nodes);
            var now = ClusterNow();
            var (due, next) = EvaluateView(options, nodes, pool, notReadySince, lastSeen, now);
            if (due.Count > 0)
            {
                // Another watcher on this tracker may have replaced these seeders while this one waited for the lock: the tracker
                // says so, but its label changes may not have reached this watch's view yet, and a stale label would make the
                // replaced seeder due again (and the pool grow by one). Decide on a fresh list, read under the lock.
                await RefreshViewAsync(nodes, lastSeen, ct).ConfigureAwait(false);
                pool = ReadPool(options, nodes);
                now = ClusterNow();
                (due, next) = EvaluateView(options, nodes, pool, notReadySince, lastSeen, now);
            }
            wake = next;
            if (due.Count == 0)
            {
                return wake;
            }
            var clydeNodes = nodes.Values.Select(n => NodeMapper.ToClydeNode(n)).ToList();
            var names = tracker.Names.ToList();
            foreach (var failed in due)
            {
                var pick = SeederPool.PickReplacement(clydeNodes, pool, label, failed.Zone, failed.NetworkClass, options.IncludeControlPlane);
                if (pick is null)
                {
                    if (noReplacement.Add(failed.Node))
                    {
                        log("WARNING", $"Seeder {failed.Node} must be replaced ({failed.Reason}) but no eligible node is left.");
                        emit(new ClydeSeederEvent { Time = now, Kind = SeederEventKind.NoReplacement, Node = failed.Node, Zone = failed.Zone, NetworkClass = failed.NetworkClass, Reason = failed.Reason });
                    }
                    continue;
                }
                var changes = new List<(string, bool)> { (pick.Name, true) };
                if (nodes.ContainsKey(failed.Node))
                {
                    changes.Add((failed.Node, false));
                }
                var outcomes = await SeederService.ApplyAsync(gateway, label, changes, null, ct).ConfigureAwait(false);
                if (outcomes.FirstOrDefault(o => o.Name == pick.Name && o.On) is { Succeeded: false } refused)
                {
                    log("ERROR", refused.Error!.Message);
                    emit(new ClydeSeederEvent { Time = now, Kind = SeederEventKind.Error, Node = failed.Node, Replacement = pick.Name, Reason = refused.Error.Message });
                    continue;
                }
                foreach (var o in outcomes.Where(o => !o.Succeeded && !o.On))
                {
                    log("WARNING", o.Error!.Message);
                }
                var at = names.IndexOf(failed.Node);
                if (at >= 0)
                {
                    names[at] = pick.Name;
                }
                else if (!names.Contains(pick.Name))
                {
                    names.Add(pick.Name);
                }
                // The view follows the labels just set, so the next pass does not see the old seeder again.
                Adopt(label, nodes, clydeNodes, pool, failed.Node, pick.Name);
                notReadySince.Remove(failed.Node);
                replaced.Add((failed, pick));
                log("INFO", $"Replaced seeder {failed.Node} ({failed.Reason}) with {pick.Name} (zone {pick.Zone ?? "none"}, {pick.NetworkClass}).");
                emit(new ClydeSeederEvent
                {
                    Time = ClusterNow(), Kind = SeederEventKind.Replaced, Node = failed.Node, Replacement = pick.Name, Zone = pick.Zone,
                    NetworkClass = pick.NetworkClass, Reason = failed.Reason,
                });
            }
            if (replaced.Count > 0 && !names.SequenceEqual(tracker.Names, StringComparer.Ordinal))
            {
                SeederTracker.Write(options.TrackerPath, names);
                log("INFO", $"Wrote {names.Count} seeder(s) to '{options.TrackerPath}'.");
            }
        }

        if (prePull is null)
        {
            return wake;
        }
        foreach (var (failed, node) in replaced)
        {
            IReadOnlyList<ClydePrePullResult> results;
            try
            {
                results = await prePull(node.Name, ct).ConfigureAwait(false);
            }
            catch (ClydeException e)
            {
                log("ERROR", $"Pre-pulling on new seeder {node.Name} failed: {e.Message}");
                emit(new ClydeSeederEvent { Time = ClusterNow(), Kind = SeederEventKind.Error, Node = failed.Node, Replacement = node.Name, Reason = e.Message });
                continue;
            }
            if (results.Count == 0)
            {
                continue;
            }
            var ok = results.Count(r => r.Complete);
            emit(new ClydeSeederEvent
            {
                Time = ClusterNow(), Kind = SeederEventKind.PrePulled, Node = failed.Node, Replacement = node.Name, Zone = node.Zone, NetworkClass = node.NetworkClass,
                Reason = $"{ok} of {results.Count} image(s) pre-pulled on {node.Name}",
                PrePull = [.. results],
            });
        }
        return wake;
    }
}
