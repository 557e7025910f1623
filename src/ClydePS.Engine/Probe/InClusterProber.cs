using System.Collections.Concurrent;
using System.Globalization;
using ClydePS.Engine.Kube;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Probe;

/// <summary>One probed node: its pod, and the taints the pod must tolerate.</summary>
public sealed record ProbeTarget(string Node, IReadOnlyList<string> Taints);

/// <summary>What an in-cluster probe gathered: every sample (dropped ones included) and why nodes failed.</summary>
public sealed record InClusterProbeOutcome(IReadOnlyList<ClydeProbeSample> Samples, IReadOnlyDictionary<string, string> Failures);

/// <summary>A probe pod about to be created, in plain terms (the cmdlets never see client model types).</summary>
public sealed record ProbePodPlan(string Namespace, string Name, string Node);

/// <summary>The probe pods of one run: what <c>-WhatIf</c> lists and <see cref="InClusterProber.RunAsync"/> creates.</summary>
public sealed class ProbeRunPlan
{
    internal ProbeRunPlan(ProbePodOptions options, IReadOnlyList<V1Pod> pods)
    {
        Options = options;
        PodSpecs = pods;
        Pods = pods.Select(p => new ProbePodPlan(p.Metadata.NamespaceProperty, p.Metadata.Name, p.Spec.NodeName)).ToArray();
    }

    public ProbePodOptions Options { get; }
    public IReadOnlyList<ProbePodPlan> Pods { get; }
    internal IReadOnlyList<V1Pod> PodSpecs { get; }
}

/// <summary>
/// Runs the in-cluster probe: one probe pod per node (<see cref="ProbePod"/>), one watch over the run's pods for
/// their state, and one followed log per pod (<c>follow=true&amp;timestamps=true</c>), so the API cost is constant
/// per node, not per sample. Each log line is a <see cref="CurlWriteOut"/> line. A pod that fails (image pull
/// back-off, deadline, eviction, Failed, deleted, or not done in time) counts every sample it did not produce as
/// dropped, with the reason. The pods are always deleted at the end, after failures and after cancellation too
/// (with a fresh short-lived token).
/// </summary>
public sealed class InClusterProber(ClusterGateway gateway)
{
    /// <summary>Waiting reasons after which a probe pod will not start.</summary>
    static readonly HashSet<string> FatalWaiting = new(StringComparer.Ordinal)
    {
        "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
    };

    /// <summary>Time cleanup may take after the run ends or is cancelled.</summary>
    public static readonly TimeSpan CleanupTimeout = HelperPods.CleanupTimeout;

    public static ProbeRunPlan Plan(ProbePodOptions options, IReadOnlyList<ProbeTarget> targets) =>
        new(options, targets.Select((t, i) => ProbePod.Build(options, t.Node, i, t.Taints)).ToArray());

    /// <summary>Creates the plan's pods named in <paramref name="approved"/> (all when null), gathers their samples and deletes them.</summary>
    public async Task<InClusterProbeOutcome> RunAsync(ProbeRunPlan plan, IReadOnlyCollection<string>? approved, Action<ClydeProbeSample>? onSample,
        Action<string>? log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var options = plan.Options;
        var pods = plan.PodSpecs.Where(p => approved is null || approved.Contains(p.Metadata.Name)).ToArray();
        var ns = options.Namespace;
        var created = new List<string>();
        try
        {
            foreach (var pod in pods)
            {
                // Recorded before the call: a create cut short by Ctrl+C may still land, and cleanup must find it
                // (deleting a pod that was never made is a harmless 404).
                created.Add(pod.Metadata.Name);
                await gateway.CallAsync("create probe pod", $"{ns}/{pod.Metadata.Name}",
                    (c, ct) => c.CoreV1.CreateNamespacedPodAsync(pod, ns, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
                log?.Invoke($"Created probe pod {ns}/{pod.Metadata.Name} on node {pod.Spec.NodeName}.");
            }

            var states = pods.ToDictionary(p => p.Metadata.Name, p => new PodState(p.Metadata.Name, p.Spec.NodeName), StringComparer.Ordinal);
            using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var watch = WatchAsync(options, states, run.Token);
            var followers = states.Values.Select(s => FollowAsync(options, s, onSample, log, run.Token)).ToArray();
            var budget = options.Interval * options.Samples + ProbePodOptions.StartAllowance;
            var all = Task.WhenAll(followers);
            await Task.WhenAny(all, Task.Delay(budget, gateway.LabTime, run.Token)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var s in states.Values)
            {
                s.Fail($"the probe pod did not finish within {budget.TotalSeconds:0} s ({s.Describe()})");
            }
            await Task.WhenAll(followers).ConfigureAwait(false);
            run.Cancel();
            try
            {
                await watch.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            var samples = new List<ClydeProbeSample>();
            var failures = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var s in states.Values.OrderBy(s => s.Node, StringComparer.Ordinal))
            {
                samples.AddRange(s.Samples);
                var missing = options.Samples - s.Samples.Count;
                if (missing > 0)
                {
                    var reason = s.FailureReason ?? $"the probe pod printed {s.Samples.Count} of {options.Samples} samples";
                    failures[s.Node] = $"{missing} of {options.Samples} samples dropped: {reason}";
                    var next = s.Samples.Count > 0 ? s.Samples[^1].Start + options.Interval : s.StartedAt ?? gateway.LabTime.GetUtcNow();
                    for (var i = 0; i < missing; i++)
                    {
                        samples.Add(ProbeMetrics.Sample(s.Node, next + options.Interval * i, 0, 0, 0, null, reason));
                    }
                }
            }
            return new InClusterProbeOutcome(samples, failures);
        }
        finally
        {
            await CleanupAsync(ns, created, log).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes the run's pods (grace period 0) with a fresh token, so it also runs after Ctrl+C.</summary>
    Task CleanupAsync(string ns, IReadOnlyList<string> names, Action<string>? log) => HelperPods.DeleteAsync(gateway, ns, names, ProbePod.Role, log);

    async Task WatchAsync(ProbePodOptions options, IReadOnlyDictionary<string, PodState> states, CancellationToken ct)
    {
        var ns = options.Namespace;
        var selector = ProbePod.Selector(options.RunId);
        try
        {
            await foreach (var (type, pod) in gateway.WatchAsync<V1Pod, V1PodList>("watch probe pods", ns,
                (c, r, t) => c.CoreV1.ListNamespacedPodWithHttpMessagesAsync(ns, labelSelector: selector, continueParameter: r.Continue, limit: r.Limit,
                    watch: r.Watch, resourceVersion: r.ResourceVersion, allowWatchBookmarks: r.AllowWatchBookmarks, timeoutSeconds: r.TimeoutSeconds,
                    cancellationToken: t), ct).ConfigureAwait(false))
            {
                if (pod.Metadata?.Name is { } name && states.TryGetValue(name, out var state))
                {
                    state.Observe(type, pod, gateway.LabTime.GetUtcNow());
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (ClydeException e)
        {
            foreach (var s in states.Values)
            {
                s.Fail($"watching the probe pods failed: {e.Message}");
            }
        }
    }

    async Task FollowAsync(ProbePodOptions options, PodState state, Action<ClydeProbeSample>? onSample, Action<string>? log, CancellationToken ct)
    {
        var ns = options.Namespace;
        try
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            _ = state.Failed.ContinueWith(_ =>
            {
                try
                {
                    stop.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // the follower ended first
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            await Task.WhenAny(state.Started.Task, state.Failed).WaitAsync(stop.Token).ConfigureAwait(false);
            if (state.Failed.IsCompleted)
            {
                return;
            }

            await PodLogFollower.FollowAsync(gateway, ProbePod.Role, ns, state.Pod, ProbePod.ContainerName, timestamps: true,
                line =>
                {
                    if (ParseLine(line, state.Node) is { } sample && state.Samples.Count < options.Samples)
                    {
                        state.Samples.Add(sample);
                        onSample?.Invoke(sample);
                    }

                    return state.Samples.Count < options.Samples;
                },
                async (_, t) =>
                {
                    if (state.Samples.Count >= options.Samples)
                    {
                        return false;
                    }

                    // The log ends when the container ends; give the watch a moment to report how it ended.
                    await Task.WhenAny(state.Terminated.Task, state.Failed, Task.Delay(TimeSpan.FromSeconds(2), t)).ConfigureAwait(false);
                    if (state.Terminated.Task.IsCompleted && !state.Failed.IsCompleted)
                    {
                        state.Fail(state.Terminated.Task.Result);
                        return false;
                    }

                    return !state.Failed.IsCompleted;
                }, maxOpens: 10, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // failed meanwhile
        }
        catch (ClydeException e) when (!ct.IsCancellationRequested)
        {
            state.Fail($"reading the probe pod's log failed: {e.Message}");
            log?.Invoke($"Probe pod {ns}/{state.Pod}: {e.Message}");
        }
    }

    /// <summary>Parses a <c>timestamps=true</c> log line: the sample ended at the timestamp, so it started <c>time_total</c> before.</summary>
    public static ClydeProbeSample? ParseLine(string line, string prober)
    {
        var space = line.IndexOf(' ');
        DateTimeOffset end = default;
        var text = line;
        if (space > 0 && DateTimeOffset.TryParse(line[..space], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var ts))
        {
            end = ts;
            text = line[(space + 1)..];
        }
        var sample = CurlWriteOut.Parse(text, prober, end);
        if (sample is null)
        {
            return null;
        }
        var start = end - TimeSpan.FromSeconds(Math.Max(0, sample.Seconds));
        return CurlWriteOut.Parse(text, prober, start);
    }

    sealed class PodState(string pod, string node)
    {
        readonly TaskCompletionSource<string> _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        string _last = "Pending";

        public string Pod { get; } = pod;
        public string Node { get; } = node;
        public List<ClydeProbeSample> Samples { get; } = [];
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        /// <summary>Set when the container terminated; the value says how, for a run cut short.</summary>
        public TaskCompletionSource<string> Terminated { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task Failed => _failed.Task;
        public string? FailureReason => _failed.Task.IsCompleted ? _failed.Task.Result : null;
        public DateTimeOffset? StartedAt { get; private set; }

        public void Fail(string reason) => _failed.TrySetResult(reason);

        public string Describe() => _last;

        public void Observe(WatchEventType type, V1Pod pod, DateTimeOffset now)
        {
            if (type == WatchEventType.Deleted)
            {
                Fail("the probe pod was deleted");
                return;
            }
            var status = pod.Status;
            var c = status?.ContainerStatuses?.FirstOrDefault(s => s.Name == ProbePod.ContainerName);
            _last = status?.Phase ?? "Pending";
            if (c?.State?.Waiting is { } w)
            {
                _last += $", {w.Reason}";
                if (w.Reason is { } r && FatalWaiting.Contains(r))
                {
                    Fail($"{r}: {w.Message}".TrimEnd(' ', ':'));
                }
            }
            if (c?.State?.Running is not null || c?.State?.Terminated is not null)
            {
                StartedAt ??= now;
                Started.TrySetResult();
            }
            if (c?.State?.Terminated is { } t)
            {
                Terminated.TrySetResult(t.ExitCode == 0
                    ? "the probe container exited before printing every sample"
                    : $"the probe container failed ({t.Reason}, exit code {t.ExitCode}){(string.IsNullOrEmpty(t.Message) ? "" : ": " + t.Message)}");
            }
            if (status?.Phase == "Failed")
            {
                var reason = status.Reason is { Length: > 0 } pr ? $"{pr}: {status.Message}".TrimEnd(' ', ':')
                    : c?.State?.Terminated is { } term ? $"the probe container failed ({term.Reason}, exit code {term.ExitCode})" : "the probe pod failed";
                Terminated.TrySetResult(reason);
                if (c?.State?.Terminated is null || c.State.Terminated.ExitCode != 0 || status.Reason is { Length: > 0 })
                {
                    Fail(reason);
                }
            }
            if (pod.Metadata?.DeletionTimestamp is not null && status?.Phase is not ("Succeeded" or "Failed"))
            {
                Fail("the probe pod is being deleted (evicted or removed by someone else)");
            }
        }
    }
}
