using System.Collections.Concurrent;
using ClydePS.Engine.Kube;
using ClydePS.Engine.Network;
using ClydePS.Engine.Probe;
using ClydePS.Engine.Seeding;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Seeders;

/// <summary>An image to pre-pull: the reference as listed (kubelet resolves it the same way) and what the registry says about it.</summary>
public sealed record PrePullImageSpec(string Reference, ClydeImage Image)
{
    public IReadOnlyCollection<string> Digests => NodeImages.DigestsOf(Image);

    public string Key => PrePullNames.ImageKey(Reference, Image.Digest);
}

/// <summary>A seeder to pull on, with the tolerations its taints need.</summary>
public sealed record PrePullTarget(string Node, IReadOnlyList<V1Toleration> Tolerations);

/// <summary>What one Start-ClydePrePull run pulls, where, and how.</summary>
public sealed record PrePullRequest
{
    public required string Namespace { get; init; }
    public required IReadOnlyList<PrePullImageSpec> Images { get; init; }
    public required IReadOnlyList<PrePullTarget> Seeders { get; init; }
    public required SeederLabel Label { get; init; }
    public string RunId { get; init; } = ProbePod.NewRunId();
    public IReadOnlyList<string> ImagePullSecrets { get; init; } = [];
    public string HelperImage { get; init; } = SeedPodOptions.DefaultHelperImage;

    /// <summary>One node's pull limit; null derives it from each image's size (<see cref="SeedExecutor.DerivePullTimeout"/>).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Keep one completed holder pod per seeder and image (default); false deletes them once the pull is proved.</summary>
    public bool Hold { get; init; } = true;

    /// <summary>How many images pull at once.</summary>
    public int ThrottleLimit { get; init; } = 2;

    public TimeSpan TimeoutFor(PrePullImageSpec image) => Timeout ?? SeedExecutor.DerivePullTimeout(image.Image.SizeBytes, null);
}

/// <summary>Progress of one image: how many seeders are done, and the node that just finished.</summary>
public sealed record PrePullProgress(int ImageIndex, string Image, int Done, int Total, string? Node, string Status);

/// <summary>A holder pod that is no longer needed, and why.</summary>
public sealed record StaleHolder(string Name, string Node, string Image, string Reason);

/// <summary>
/// Pre-pulls images on the seeders (Start-ClydePrePull, Watch-ClydeSeeder). Design: per image, one pod per seeder built by
/// <see cref="SeedPod.Build"/> with role <c>prepull</c> (pinned with nodeName, the helper init container's static busybox so
/// images without a shell work, the seeders' taints tolerated), rather than the original's temporary DaemonSets: a pod per
/// node says per node whether and why its pull failed, needs no controller, and its completed pod is the holder that keeps
/// the image in use against kubelet's image garbage collection. A pull is done when the pod's <c>seed</c> container reports
/// an imageID carrying the digest (<see cref="SeedPod.Observe"/>, shared with the seed executor), never on "Running".
/// Event-driven: one watch over the run's pods, one over nodes; at most <see cref="PrePullRequest.ThrottleLimit"/> images at
/// once. API cost per image and seeder: one create (plus one delete with -NoHold or on failure).
/// </summary>
public sealed class PrePullRunner(ClusterGateway gateway)
{
    /// <summary>The holder marker: the seeder label (key=value) the holder's node must carry for the holder to stay.</summary>
    public const string HoldAnnotation = Leftovers.HoldAnnotation;

    /// <summary>Taints kubelet's node lifecycle sets on failing nodes: never tolerated, so a dying seeder's pull fails fast.</summary>
    static readonly HashSet<string> LifecycleTaints = new(StringComparer.Ordinal) { "node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready" };

    /// <summary>The label selector of pre-pull pods.</summary>
    public static string Selector(string? runId) => runId is null
        ? $"{ProbePod.RoleLabel}={SeedPod.PrePullRole}"
        : $"{ProbePod.RunLabel}={runId},{ProbePod.RoleLabel}={SeedPod.PrePullRole}";

    /// <summary>
    /// The seeders to pull on: nodes carrying the label that are Ready and schedulable, in name order, each with tolerations
    /// for its NoSchedule and NoExecute taints (key, value and effect; the node lifecycle taints excepted). The other
    /// labelled nodes are returned with the reason they are skipped.
    /// </summary>
    public static (IReadOnlyList<PrePullTarget> Seeders, IReadOnlyList<(string Node, string Reason)> Skipped) SeedersOf(IEnumerable<V1Node> nodes, SeederLabel label)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(label);
        var seeders = new List<PrePullTarget>();
        var skipped = new List<(string, string)>();
        foreach (var node in nodes.OrderBy(n => n.Metadata?.Name, StringComparer.Ordinal))
        {
            var labels = node.Metadata?.Labels ?? new Dictionary<string, string>();
            if (!label.IsOn(new Dictionary<string, string>(labels)))
            {
                continue;
            }
            var name = node.Metadata!.Name;
            if (!NodeMapper.IsReady(node))
            {
                skipped.Add((name, "NotReady"));
                continue;
            }
            if (node.Spec?.Unschedulable == true)
            {
                skipped.Add((name, "cordoned (unschedulable)"));
                continue;
            }
            seeders.Add(new PrePullTarget(name, TolerationsFor(node)));
        }
        return (seeders, skipped);
    }

    /// <summary>Tolerations for the node's NoSchedule and NoExecute taints (see <see cref="SeedersOf"/>).</summary>
    public static IReadOnlyList<V1Toleration> TolerationsFor(V1Node node) =>
        (node.Spec?.Taints ?? [])
            .Where(t => t.Effect is "NoSchedule" or "NoExecute" && !LifecycleTaints.Contains(t.Key))
            .Select(t => new V1Toleration
            {
                Key = t.Key,
                OperatorProperty = string.IsNullOrEmpty(t.Value) ? "Exists" : "Equal",
                Value = string.IsNullOrEmpty(t.Value) ? null : t.Value,
                Effect = t.Effect,
            })
            .ToArray();

    /// <summary>The pre-pull pods in the namespace (one paged list).</summary>
    public async Task<IReadOnlyList<V1Pod>> ListPodsAsync(string ns, CancellationToken ct) =>
        (await gateway.ListAsync<V1Pod, V1PodList>("list pre-pull pods", ns,
            (c, r, t) => c.CoreV1.ListNamespacedPodWithHttpMessagesAsync(ns, labelSelector: Selector(null), continueParameter: r.Continue, limit: r.Limit,
                cancellationToken: t), ct).ConfigureAwait(false)).Items;

    /// <summary>
    /// The holders to delete: those marked for this seeder label whose node is no longer a labelled node (gone or unlabelled),
    /// and, when <paramref name="listed"/> is the whole image list (-ImageFile), those whose image is no longer listed or
    /// whose reference now resolves to another digest. Holders of other seeder labels are never touched.
    /// </summary>
    public static IReadOnlyList<StaleHolder> StaleHolders(IEnumerable<V1Pod> pods, IEnumerable<V1Node> nodes, SeederLabel label,
        IReadOnlyCollection<PrePullImageSpec>? listed)
    {
        ArgumentNullException.ThrowIfNull(pods);
        ArgumentNullException.ThrowIfNull(nodes);
        var labelled = nodes.Where(n => label.IsOn(new Dictionary<string, string>(n.Metadata?.Labels ?? new Dictionary<string, string>())))
            .Select(n => n.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        var stale = new List<StaleHolder>();
        foreach (var pod in pods.Where(p => p.Metadata?.DeletionTimestamp is null).OrderBy(p => p.Metadata?.Name, StringComparer.Ordinal))
        {
            var a = pod.Metadata?.Annotations;
            if (a is null || !a.TryGetValue(HoldAnnotation, out var hold) || hold != label.ToString())
            {
                continue;
            }
            var node = NodeImages.PodNode(pod);
            var image = a.TryGetValue(SeedPod.ImageAnnotation, out var i) ? i : "";
            var digest = a.TryGetValue(SeedPod.DigestAnnotation, out var d) ? d : "";
            if (!labelled.Contains(node))
            {
                stale.Add(new StaleHolder(pod.Metadata!.Name, node, image, $"node {node} is no longer a seeder (gone or not labelled {label})"));
            }
            else if (listed is not null && listed.FirstOrDefault(l => l.Reference == image) is not { } spec)
            {
                stale.Add(new StaleHolder(pod.Metadata!.Name, node, image, $"{image} was dropped from the image list"));
            }
            else if (listed is not null && listed.First(l => l.Reference == image).Image.Digest is { } now && !string.Equals(now, digest, StringComparison.OrdinalIgnoreCase))
            {
                stale.Add(new StaleHolder(pod.Metadata!.Name, node, image, $"{image} now resolves to {now}, not {digest}"));
            }
        }
        return stale;
    }

    /// <summary>Deletes pods (grace 0, in parallel, after Ctrl+C too): <see cref="HelperPods.DeleteAsync"/>.</summary>
    public Task DeletePodsAsync(string ns, IReadOnlyCollection<string> names, Action<string>? log) =>
        HelperPods.DeleteAsync(gateway, ns, names, SeedPod.PrePullRole, log);

    /// <summary>
    /// Pre-pulls every image on every seeder. <paramref name="existing"/>: the namespace's pre-pull pods (a holder that already
    /// proves the digest on its node means nothing is pulled there). Each image's result goes to <paramref name="onResult"/>
    /// as soon as it is complete, and all are returned in list order. Ctrl+C or a failure deletes every pod this run created
    /// that is not a completed holder.
    /// </summary>
    public async Task<IReadOnlyList<ClydePrePullResult>> RunAsync(PrePullRequest request, IReadOnlyList<V1Pod> existing,
        Action<ClydePrePullResult>? onResult, Action<PrePullProgress>? progress, Action<string, string>? log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(existing);
        if (request.ThrottleLimit < 1)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, SeederErrorIds.InvalidThrottleLimit,
                $"-ThrottleLimit must be at least 1; got {request.ThrottleLimit}.", request.ThrottleLimit);
        }
        var run = new Run(this, request, existing, onResult, progress, log);
        return await run.ExecuteAsync(ct).ConfigureAwait(false);
    }

    sealed class Slot(string pod, string node, DateTimeOffset start)
    {
        public string Pod { get; } = pod;
        public string Node { get; } = node;
        public DateTimeOffset Start { get; } = start;
        public TaskCompletionSource<SeedPodObservation> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public PrePullImageSpec? Image { get; init; }
        public string? LastWaiting { get; set; }
        public bool Created { get; set; }
    }

    sealed class Run(PrePullRunner owner, PrePullRequest req, IReadOnlyList<V1Pod> existing, Action<ClydePrePullResult>? onResult,
        Action<PrePullProgress>? progress, Action<string, string>? log)
    {
        readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);
        readonly ConcurrentDictionary<string, bool> _keep = new(StringComparer.Ordinal); // pods of this run that stay (holders)
        readonly Dictionary<string, V1Pod> _existing = existing.Where(p => p.Metadata?.Name is not null)
            .GroupBy(p => p.Metadata.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        readonly ClusterGateway _gw = owner.Gateway;

        TimeProvider Clock => _gw.LabTime;

        void Log(string level, string message) => log?.Invoke(level, message);

        public async Task<IReadOnlyList<ClydePrePullResult>> ExecuteAsync(CancellationToken ct)
        {
            using var loop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            Task[] watchers = [WatchPodsAsync(loop.Token), WatchNodesAsync(loop.Token)];
            var results = new ClydePrePullResult[req.Images.Count];
            try
            {
                using var gate = new SemaphoreSlim(req.ThrottleLimit);
                var tasks = req.Images.Select(async (image, index) =>
                {
                    await gate.WaitAsync(ct).ConfigureAwait(false);
                    try
                    {
                        results[index] = await PullImageAsync(index, image, ct).ConfigureAwait(false);
                        onResult?.Invoke(results[index]);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }).ToArray();
                await Task.WhenAll(tasks).ConfigureAwait(false);
                return results;
            }
            finally
            {
                loop.Cancel();
                foreach (var w in watchers)
                {
                    try
                    {
                        await w.ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is OperationCanceledException or ClydeException)
                    {
                    }
                }
                // Whatever happened (done, Ctrl+C, failure): every pod this run created goes unless it is a completed holder.
                var leftover = _slots.Values.Where(s => s.Created && !_keep.ContainsKey(s.Pod)).Select(s => s.Pod).ToArray();
                await owner.DeletePodsAsync(req.Namespace, leftover, m => Log("DEBUG", m)).ConfigureAwait(false);
            }
        }

        async Task<ClydePrePullResult> PullImageAsync(int index, PrePullImageSpec image, CancellationToken ct)
        {
            var start = Clock.GetUtcNow();
            var timeout = req.TimeoutFor(image);
            var digests = image.Digests;
            var total = req.Seeders.Count;
            var done = 0;
            Log("INFO", $"Pre-pulling {image.Reference} ({image.Image.Digest}, {image.Image.SizeBytes / 1048576.0:0.#} MB) on {total} seeder(s); timeout {Format(timeout)} per node.");
            progress?.Invoke(new PrePullProgress(index, image.Reference, 0, total, null, "Starting"));
            var outcomes = await Task.WhenAll(req.Seeders.Select(async target =>
            {
                var outcome = await PullOnNodeAsync(image, digests, target, timeout, ct).ConfigureAwait(false);
                var n = Interlocked.Increment(ref done);
                progress?.Invoke(new PrePullProgress(index, image.Reference, n, total, target.Node,
                    outcome.Failure is null ? (outcome.AlreadyHeld ? "already held" : "pulled") : "failed: " + outcome.Failure.Reason));
                return outcome;
            })).ConfigureAwait(false);

            var failed = outcomes.Where(o => o.Failure is not null).Select(o => o.Failure!).OrderBy(f => f.Node, StringComparer.Ordinal).ToArray();
            var result = new ClydePrePullResult
            {
                Image = image.Reference,
                Digest = image.Image.Digest,
                SizeBytes = image.Image.SizeBytes,
                Namespace = req.Namespace,
                RunId = req.RunId,
                Nodes = req.Seeders.Select(s => s.Node).ToArray(),
                Succeeded = outcomes.Where(o => o.Failure is null).Select(o => o.Node).OrderBy(n => n, StringComparer.Ordinal).ToArray(),
                AlreadyHeld = outcomes.Where(o => o.AlreadyHeld).Select(o => o.Node).OrderBy(n => n, StringComparer.Ordinal).ToArray(),
                Failed = failed,
                HolderPods = outcomes.Where(o => o.Holder is not null).Select(o => o.Holder!).OrderBy(n => n, StringComparer.Ordinal).ToArray(),
                Timeout = timeout,
                Duration = Clock.GetUtcNow() - start,
            };
            Log(failed.Length == 0 ? "INFO" : "ERROR", $"{image.Reference}: {result.Succeeded.Length} of {total} seeder(s) hold {image.Image.Digest}" +
                (failed.Length == 0 ? "." : "; failed: " + string.Join("; ", failed.Select(f => $"{f.Node}: {f.Reason} ({f.Message})")) + "."));
            return result;
        }

        sealed record NodeOutcome(string Node, bool AlreadyHeld, string? Holder, ClydePrePullFailure? Failure);

        async Task<NodeOutcome> PullOnNodeAsync(PrePullImageSpec image, IReadOnlyCollection<string> digests, PrePullTarget target, TimeSpan timeout, CancellationToken ct)
        {
            var name = PrePullNames.PodName(image.Key, target.Node);
            NodeOutcome Failed(string reason, string message)
            {
                Log("ERROR", $"Pre-pull of {image.Reference} on {target.Node} failed: {reason}: {message}");
                return new NodeOutcome(target.Node, false, null, new ClydePrePullFailure { Node = target.Node, Reason = reason, Message = message });
            }

            if (_existing.TryGetValue(name, out var held) && held.Metadata.DeletionTimestamp is null)
            {
                if (NodeImages.PodNode(held) == target.Node && NodeImages.ProvesPull(held, digests))
                {
                    Log("INFO", $"{target.Node} already holds {image.Reference} (holder pod {req.Namespace}/{name}).");
                    if (req.Hold)
                    {
                        return new NodeOutcome(target.Node, true, name, null);
                    }
                    await owner.DeletePodsAsync(req.Namespace, [name], m => Log("DEBUG", m)).ConfigureAwait(false);
                    return new NodeOutcome(target.Node, true, null, null);
                }
                // A pod of an interrupted or failed earlier run under the same name: replace it.
                await owner.DeletePodsAsync(req.Namespace, [name], m => Log("DEBUG", m)).ConfigureAwait(false);
            }

            var annotations = new Dictionary<string, string>();
            if (req.Hold)
            {
                annotations[HoldAnnotation] = req.Label.ToString();
            }
            var pod = SeedPod.Build(new SeedPodOptions
            {
                Namespace = req.Namespace,
                RunId = req.RunId,
                Image = image.Reference,
                Digest = image.Image.Digest,
                HelperImage = req.HelperImage,
                ImagePullSecrets = req.ImagePullSecrets,
                Tolerations = target.Tolerations,
                Deadline = timeout + TimeSpan.FromMinutes(1),
                Role = SeedPod.PrePullRole,
                PodName = name,
                Annotations = annotations,
            }, target.Node, 0);
            // Holders request nothing: they only keep the image in use.
            foreach (var c in pod.Spec.Containers.Concat(pod.Spec.InitContainers))
            {
                c.Resources = new V1ResourceRequirements();
            }

            var slot = new Slot(name, target.Node, Clock.GetUtcNow()) { Image = image };
            _slots[name] = slot;
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    slot.Created = true; // before the call: a create cut short by Ctrl+C may still land
                    await SeedPod.CreateAsync(_gw, pod, ct).ConfigureAwait(false);
                    Log("INFO", $"Created pre-pull pod {req.Namespace}/{name} on {target.Node} for {image.Reference}.");
                    break;
                }
                catch (ClydeException e) when (e.StatusCode == 409 && attempt < 20)
                {
                    // The earlier pod of that name is still going away.
                    await Task.Delay(TimeSpan.FromMilliseconds(250), Clock, ct).ConfigureAwait(false);
                }
                catch (ClydeException e) when (e.Kind is not ClydeErrorKind.Cancelled && e.StatusCode is not (401 or 403) && !ct.IsCancellationRequested)
                {
                    slot.Created = e.StatusCode is null or >= 500;
                    return Failed("CreateFailed", "the pre-pull pod could not be created: " + e.Message);
                }
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var deadline = Task.Delay(timeout, Clock, wait.Token);
            var first = await Task.WhenAny(slot.Outcome.Task, deadline).ConfigureAwait(false);
            wait.Cancel();
            ct.ThrowIfCancellationRequested();
            if (first != slot.Outcome.Task)
            {
                slot.Outcome.TrySetResult(new SeedPodObservation(false, true, null, "Timeout", "", false));
                await owner.DeletePodsAsync(req.Namespace, [name], m => Log("DEBUG", m)).ConfigureAwait(false);
                return Failed("Timeout", $"the pull did not finish within {Format(timeout)} (set -Timeout to allow longer)" +
                    (slot.LastWaiting is { } w ? $"; last state {w}" : ""));
            }
            var seen = await slot.Outcome.Task.ConfigureAwait(false);
            if (seen.Failed)
            {
                await owner.DeletePodsAsync(req.Namespace, [name], m => Log("DEBUG", m)).ConfigureAwait(false);
                return Failed(seen.Reason ?? "Failed", seen.Message ?? "");
            }
            Log("INFO", $"{target.Node} holds {image.Reference}: {seen.ImageId}.");
            if (req.Hold)
            {
                _keep[name] = true;
                return new NodeOutcome(target.Node, false, name, null);
            }
            await owner.DeletePodsAsync(req.Namespace, [name], m => Log("DEBUG", m)).ConfigureAwait(false);
            return new NodeOutcome(target.Node, false, null, null);
        }

        void OnPod(WatchEventType type, V1Pod pod)
        {
            var name = pod.Metadata?.Name;
            if (name is null || !_slots.TryGetValue(name, out var slot) || slot.Outcome.Task.IsCompleted || slot.Image is null)
            {
                return;
            }
            if (type == WatchEventType.Deleted)
            {
                slot.Outcome.TrySetResult(new SeedPodObservation(false, true, null, "PodDeleted", "the pre-pull pod was deleted", false));
                return;
            }
            var seen = SeedPod.Observe(pod, slot.Image.Digests, slot.Image.Image.Digest, req.HelperImage);
            if (seen.Failed && seen.Reason == "ImagePullBackOff" && slot.LastWaiting is { } pullError && pullError.StartsWith("ErrImagePull", StringComparison.Ordinal))
            {
                // The back-off message only says kubelet waits; the pull error before it says why.
                seen = seen with { Message = $"{seen.Message}; {pullError}" };
            }
            if (seen.Done || seen.Failed)
            {
                slot.Outcome.TrySetResult(seen);
                return;
            }
            if (SeedPod.LastWaitingReason(pod) is { } waiting)
            {
                if (slot.LastWaiting is null)
                {
                    Log("WARNING", $"Pre-pull of {slot.Image.Reference} on {slot.Node}: {waiting}");
                }
                slot.LastWaiting = waiting;
            }
        }

        void OnNode(WatchEventType type, V1Node node)
        {
            var name = node.Metadata?.Name;
            if (name is null || SeedPod.NodeLostReason(type, node) is not { } lost)
            {
                return;
            }
            foreach (var slot in _slots.Values.Where(s => s.Node == name && !s.Outcome.Task.IsCompleted))
            {
                slot.Outcome.TrySetResult(new SeedPodObservation(false, true, null, "NodeLost", lost, true));
            }
        }

        async Task WatchPodsAsync(CancellationToken ct)
        {
            try
            {
                await HelperPods.WatchAsync(_gw, req.Namespace, Selector(req.RunId), "watch pre-pull pods", OnPod, ct).ConfigureAwait(false);
            }
            catch (ClydeException e)
            {
                // The watch gave up (it already retried transient failures): the pulls cannot be followed any more.
                foreach (var slot in _slots.Values)
                {
                    slot.Outcome.TrySetResult(new SeedPodObservation(false, true, null, "WatchFailed", "the pre-pull pods could not be watched: " + e.Message, false));
                }
            }
        }

        Task WatchNodesAsync(CancellationToken ct) => HelperPods.WatchNodesAsync(_gw, OnNode, ct);
    }

    ClusterGateway Gateway => gateway;

    static string Format(TimeSpan t) => t.TotalMinutes >= 1 ? $"{t.TotalMinutes:0.#} min" : $"{t.TotalSeconds:0.#} s";
}

/// <summary>
/// The cluster as a pre-pull found it (nodes, seeders, the namespace's pre-pull pods), read before anything is created; the
/// cmdlets hold it without touching Kubernetes types.
/// </summary>
public sealed class PrePullCluster
{
    internal PrePullCluster(string ns, SeederLabel label, IReadOnlyList<V1Node> nodes, IReadOnlyList<PrePullTarget> seeders,
        IReadOnlyList<(string Node, string Reason)> skipped, bool namespaceExists, IReadOnlyList<V1Pod> pods)
    {
        Namespace = ns;
        Label = label;
        Nodes = nodes;
        Seeders = seeders;
        Skipped = skipped;
        NamespaceExists = namespaceExists;
        Pods = pods;
    }

    public string Namespace { get; }
    public SeederLabel Label { get; }
    internal IReadOnlyList<V1Node> Nodes { get; }
    public IReadOnlyList<PrePullTarget> Seeders { get; }

    /// <summary>Labelled nodes that are not healthy seeders, with the reason.</summary>
    public IReadOnlyList<(string Node, string Reason)> Skipped { get; }

    public bool NamespaceExists { get; }
    internal IReadOnlyList<V1Pod> Pods { get; private set; }

    public IReadOnlyList<string> SeederNames => Seeders.Select(s => s.Node).ToArray();

    public IReadOnlyList<string> NodeNames => Nodes.Select(n => n.Metadata.Name).ToArray();

    /// <summary>Reads the nodes, the namespace and its pre-pull pods (three requests, nothing created).</summary>
    public static async Task<PrePullCluster> ReadAsync(ClusterGateway gateway, SeederLabel label, string ns, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var nodes = await gateway.ListNodesAsync(null, ct).ConfigureAwait(false);
        var (seeders, skipped) = PrePullRunner.SeedersOf(nodes, label);
        var exists = await NamespaceExistsAsync(gateway, ns, ct).ConfigureAwait(false);
        var pods = exists ? await new PrePullRunner(gateway).ListPodsAsync(ns, ct).ConfigureAwait(false) : [];
        return new PrePullCluster(ns, label, nodes, seeders, skipped, exists, pods);
    }

    /// <summary>The same view with only <paramref name="node"/> as seeder (Watch-ClydeSeeder's new seeder), even before its label shows.</summary>
    public PrePullCluster Only(string node)
    {
        var target = Nodes.FirstOrDefault(n => n.Metadata.Name == node)
            ?? throw new ClydeException(ClydeErrorKind.NotFound, SeederErrorIds.NodeNotFound, $"Seeder {node} no longer exists.", node);
        return new PrePullCluster(Namespace, Label, Nodes, [new PrePullTarget(node, PrePullRunner.TolerationsFor(target))], [], NamespaceExists, Pods);
    }

    /// <summary>The holders to remove (see <see cref="PrePullRunner.StaleHolders"/>); <paramref name="wholeList"/>: the images are the complete list.</summary>
    public IReadOnlyList<StaleHolder> StaleHolders(IReadOnlyCollection<PrePullImageSpec> images, bool wholeList) =>
        PrePullRunner.StaleHolders(Pods, Nodes, Label, wholeList ? images : null);

    /// <summary>Forgets pods just deleted.</summary>
    public void Forget(IEnumerable<string> names)
    {
        var gone = names.ToHashSet(StringComparer.Ordinal);
        Pods = Pods.Where(p => !gone.Contains(p.Metadata.Name)).ToArray();
    }

    /// <summary>Creates the namespace when it was missing (labelled managed-by ClydePS); true when it was created.</summary>
    public async Task<bool> EnsureNamespaceAsync(ClusterGateway gateway, CancellationToken ct)
    {
        if (NamespaceExists)
        {
            return false;
        }
        var body = new V1Namespace
        {
            ApiVersion = "v1",
            Kind = "Namespace",
            Metadata = new V1ObjectMeta { Name = Namespace, Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "ClydePS" } },
        };
        try
        {
            await gateway.CallAsync("create namespace", Namespace, (c, t) => c.CoreV1.CreateNamespaceAsync(body, cancellationToken: t), ct).ConfigureAwait(false);
            return true;
        }
        catch (ClydeException e) when (e.StatusCode == 409)
        {
            return false; // created meanwhile by someone else
        }
    }

    /// <summary>Runs the pre-pull on this view's seeders and existing pods.</summary>
    public Task<IReadOnlyList<ClydePrePullResult>> RunAsync(ClusterGateway gateway, PrePullRequest request, Action<ClydePrePullResult>? onResult,
        Action<PrePullProgress>? progress, Action<string, string>? log, CancellationToken ct) =>
        new PrePullRunner(gateway).RunAsync(request, Pods, onResult, progress, log, ct);

    static async Task<bool> NamespaceExistsAsync(ClusterGateway gateway, string ns, CancellationToken ct)
    {
        try
        {
            await gateway.CallAsync("read namespace", ns, (c, t) => c.CoreV1.ReadNamespaceAsync(ns, cancellationToken: t), ct).ConfigureAwait(false);
            return true;
        }
        catch (ClydeException e) when (e.StatusCode == 404)
        {
            return false;
        }
    }
}
