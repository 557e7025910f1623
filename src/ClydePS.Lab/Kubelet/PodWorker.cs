using System.Security.Cryptography;
using System.Text;
using ClydePS.Lab.Faults;
using ClydePS.Lab.Resources;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Kubelet;

/// <summary>The runtime state of one container of a pod.</summary>
public sealed class ContainerRuntime
{
    public required V1Container Spec { get; init; }
    public required bool IsInit { get; init; }
    public V1ContainerState State { get; set; } = new();
    public V1ContainerState? LastState { get; set; }
    public int Restarts { get; set; }
    public bool Ready { get; set; }
    public bool? Started { get; set; }
    public string? ImageId { get; set; }

    /// <summary>The last pull's bytes by source (recorded on ClydePS seed pods, see LabInfo.PulledBytesAnnotationPrefix).</summary>
    public (long Registry, long Peers)? PulledBytes { get; set; }
    public string? ContainerId { get; set; }
    public ContainerLog? Current { get; set; }
    public ContainerLog? Previous { get; set; }
    public string FieldPath => (IsInit ? "spec.initContainers{" : "spec.containers{") + Spec.Name + "}";
}

/// <summary>
/// One pod's lifecycle on its node: IPs, init containers in order, image pulls (ContainerCreating, ErrImagePull,
/// ImagePullBackOff), containers with their known programs, restarts (CrashLoopBackOff), probes, faults, and
/// graceful termination. Everything waits in Lab time.
/// </summary>
public sealed class PodWorker
{
    readonly KubeletManager _m;
    readonly LabHost _lab;
    readonly ResourceDefinition _pods;
    readonly string _ns, _name, _uid, _node;
    readonly CancellationTokenSource _stop = new();     // kill every container (deletion)
    readonly CancellationTokenSource _abandon = new();  // the pod is gone from the store
    readonly object _gate = new();
    V1Pod _pod;
    readonly V1Node _nodeObj;
    string _hostIp = "", _podIp = "";
    DateTime _startTime;
    readonly Dictionary<string, (string Status, DateTime Since, string? Reason, string? Message)> _conditions = new();
    string? _phase;
    long _gracePeriod = 30;
    bool _stopping;
    readonly NodeKubelet _kubelet;
    volatile bool _dirty, _deferredObserve;

    public IReadOnlyList<ContainerRuntime> InitContainers { get; }
    public IReadOnlyList<ContainerRuntime> Containers { get; }

    internal PodWorker(KubeletManager m, V1Pod pod, V1Node node)
    {
        _m = m;
        _lab = m.Lab;
        _pods = _lab.Registry.Pods();
        _pod = pod;
        _nodeObj = node;
        _ns = pod.Metadata.NamespaceProperty;
        _name = pod.Metadata.Name;
        _uid = pod.Metadata.Uid;
        _node = pod.Spec.NodeName;
        _kubelet = m.NodeState(_node);
        var hasInit = (pod.Spec.InitContainers?.Count ?? 0) > 0;
        InitContainers = (pod.Spec.InitContainers ?? []).Select(c => new ContainerRuntime
        {
            Spec = c, IsInit = true, State = Waiting("PodInitializing"), Started = null,
        }).ToList();
        Containers = pod.Spec.Containers.Select(c => new ContainerRuntime
        {
            Spec = c, IsInit = false, State = Waiting(hasInit ? "PodInitializing" : "ContainerCreating"), Started = false,
        }).ToList();
    }

    public V1Pod Pod { get { lock (_gate) return _pod; } }

    static V1ContainerState Waiting(string reason, string? message = null) =>
        new() { Waiting = new V1ContainerStateWaiting { Reason = reason, Message = message } };

    internal void Start() => _ = Task.Run(RunAsync);

    internal string NodeName => _node;

    /// <summary>True while the node's kubelet runs (a stopped kubelet writes nothing).</summary>
    bool Up => _kubelet.Running;

    /// <summary>The node's kubelet started again: write the status it could not, act on a deletion it missed.</summary>
    internal void Resume()
    {
        if (_deferredObserve)
        {
            _deferredObserve = false;
            Observe(Pod);
        }
        if (_dirty) Flush();
    }

    Task WaitUpAsync(CancellationToken ct) => _kubelet.WaitRunningAsync(ct);

    internal void Observe(V1Pod pod)
    {
        lock (_gate) _pod = pod;
        if (!Up)
        {
            _deferredObserve = true; // a stopped kubelet sees nothing: a graceful deletion stays Terminating
            return;
        }
        if (pod.Metadata.DeletionTimestamp is not null && !_stopping)
        {
            _stopping = true;
            _gracePeriod = pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds ?? 30;
            if (_phase is "Succeeded" or "Failed") { DeleteNow(_lab, pod); return; }
            _stop.Cancel();
        }
    }

    internal void Abandon()
    {
        _abandon.Cancel();
        _stop.Cancel();
    }

    CancellationToken Gone => _abandon.Token;

    // ---- events and status ----

    void Event(string type, string reason, string message, ContainerRuntime? c = null)
    {
        if (Gone.IsCancellationRequested || !Up) return;
        _lab.Events.Record(Pod, type, reason, message, "kubelet", _node, c?.FieldPath);
    }

    void SetCondition(string type, bool value, string? reason = null, string? message = null)
    {
        var s = value ? "True" : "False";
        if (!_conditions.TryGetValue(type, out var cur) || cur.Status != s) _conditions[type] = (s, _lab.Clock.UtcNowSeconds, reason, message);
        else _conditions[type] = (s, cur.Since, reason, message);
    }

    string ComputePhase()
    {
        if (_phase is "Failed" or "Succeeded") return _phase;
        var policy = Pod.Spec.RestartPolicy ?? "Always";
        if (InitContainers.Any(c => c.State.Terminated is not { ExitCode: 0 })) return "Pending";
        int waiting = 0, running = 0, stopped = 0, succeeded = 0;
        foreach (var c in Containers)
        {
            if (c.State.Running is not null) running++;
            else if (c.State.Terminated is { } t) { stopped++; if (t.ExitCode == 0) succeeded++; }
            else if (c.LastState?.Terminated is not null) stopped++;
            else waiting++;
        }
        if (waiting > 0) return "Pending";
        if (running > 0) return "Running";
        if (stopped > 0)
        {
            if (policy == "Always") return "Running";
            if (stopped == succeeded && Containers.All(c => c.State.Terminated is not null)) return "Succeeded";
            if (policy == "OnFailure") return "Running";
            return Containers.All(c => c.State.Terminated is not null) ? "Failed" : "Running";
        }
        return "Pending";
    }

    void UpdateConditions(string phase)
    {
        var initDone = InitContainers.All(c => c.State.Terminated is { ExitCode: 0 });
        if (initDone) SetCondition("Initialized", true);
        else SetCondition("Initialized", false, "ContainersNotInitialized",
            $"containers with incomplete status: [{string.Join(" ", InitContainers.Where(c => c.State.Terminated is not { ExitCode: 0 }).Select(c => c.Spec.Name))}]");
        var unready = Containers.Where(c => !c.Ready).Select(c => c.Spec.Name).ToList();
        if (phase is "Succeeded" or "Failed")
        {
            SetCondition("ContainersReady", false, "PodCompleted");
            SetCondition("Ready", false, "PodCompleted");
        }
        else if (unready.Count == 0)
        {
            SetCondition("ContainersReady", true);
            SetCondition("Ready", true);
        }
        else
        {
            var msg = $"containers with unready status: [{string.Join(" ", unready)}]";
            SetCondition("ContainersReady", false, "ContainersNotReady", msg);
            SetCondition("Ready", false, "ContainersNotReady", msg);
        }
        SetCondition("PodReadyToStartContainers", !(phase is "Succeeded" or "Failed") || _conditions.GetValueOrDefault("PodReadyToStartContainers").Status == "True");
    }

    V1ContainerStatus StatusOf(ContainerRuntime c) => new()
    {
        Name = c.Spec.Name,
        Image = ImageNames.Normalize(c.Spec.Image),
        ImageID = c.ImageId ?? "",
        ContainerID = c.ContainerId,
        State = c.State,
        LastState = c.LastState ?? new V1ContainerState(),
        Ready = c.Ready,
        RestartCount = c.Restarts,
        Started = c.Started,
        VolumeMounts = c.Spec.VolumeMounts?.Select(v => new V1VolumeMountStatus
        {
            Name = v.Name, MountPath = v.MountPath, ReadOnlyProperty = v.ReadOnlyProperty, RecursiveReadOnly = v.ReadOnlyProperty == true ? "Disabled" : null,
        }).ToList(),
    };

    /// <summary>On ClydePS seed pods only: where each container's image bytes came from (the Lab knows; a real kubelet does not say).</summary>
    void RecordPulledBytes(V1Pod p)
    {
        if (p.Metadata.Labels?.TryGetValue(ClydePS.Engine.Probe.ProbePod.RoleLabel, out var role) != true || role != ClydePS.Engine.Seeding.SeedPod.Role) return;
        foreach (var c in Containers.Where(c => c.PulledBytes is not null))
        {
            p.Metadata.Annotations ??= new Dictionary<string, string>();
            p.Metadata.Annotations[ClydePS.Engine.Kube.LabInfo.PulledBytesAnnotationPrefix + c.Spec.Name] =
                ClydePS.Engine.Kube.LabInfo.FormatPulledBytes(c.PulledBytes!.Value.Registry, c.PulledBytes.Value.Peers);
        }
    }

    /// <summary>Writes the pod status as kubelet's status manager does.</summary>
    void Flush()
    {
        if (Gone.IsCancellationRequested) return;
        if (!Up)
        {
            _dirty = true;
            return;
        }
        _dirty = false;
        lock (_gate)
        {
            var phase = ComputePhase();
            UpdateConditions(phase);
            try
            {
                var (stored, _) = _lab.Store.Update(_pods, _ns, _name, cur =>
                {
                    if (cur.Object.Metadata.Uid != _uid) throw ApiException.NotFound("pods", "", _name);
                    var p = (V1Pod)_pods.Clone(cur.Object);
                    var s = p.Status ??= new V1PodStatus();
                    s.Phase = phase;
                    s.HostIP = _hostIp;
                    s.HostIPs = [new V1HostIP { Ip = _hostIp }];
                    s.PodIP = _podIp;
                    s.PodIPs = [new V1PodIP { Ip = _podIp }];
                    s.StartTime = _startTime;
                    var conds = new List<V1PodCondition>();
                    foreach (var type in new[] { "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled" })
                    {
                        if (type == "PodScheduled")
                        {
                            conds.Add(s.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled") ??
                                      new V1PodCondition { Type = "PodScheduled", Status = "True", LastTransitionTime = _startTime });
                            continue;
                        }
                        if (!_conditions.TryGetValue(type, out var c)) continue;
                        conds.Add(new V1PodCondition { Type = type, Status = c.Status, LastTransitionTime = c.Since, Reason = c.Reason, Message = c.Message });
                    }
                    s.Conditions = conds;
                    s.InitContainerStatuses = InitContainers.Count > 0 ? InitContainers.Select(StatusOf).ToList() : null;
                    s.ContainerStatuses = Containers.Select(StatusOf).ToList();
                    RecordPulledBytes(p);
                    return p;
                });
                _pod = (V1Pod)stored.Object;
            }
            catch (ApiException) { _abandon.Cancel(); }
        }
    }

    // ---- lifecycle ----

    async Task RunAsync()
    {
        try
        {
            _hostIp = _nodeObj.Status?.Addresses?.FirstOrDefault(a => a.Type == "InternalIP")?.Address ?? "";
            _podIp = Pod.Spec.HostNetwork == true ? _hostIp : _m.AllocateIp(_nodeObj);
            _startTime = _lab.Clock.UtcNowSeconds;
            SetCondition("PodReadyToStartContainers", true);
            Flush();
            var ok = true;
            foreach (var c in InitContainers)
            {
                if (_stop.IsCancellationRequested) break;
                ok = await RunContainerLoopAsync(c);
                if (!ok) break;
            }
            if (ok && !_stop.IsCancellationRequested)
            {
                foreach (var c in Containers) if (c.State.Waiting is { Reason: "PodInitializing" }) c.State = Waiting("ContainerCreating");
                Flush();
                var loops = new List<Task>();
                foreach (var c in Containers)
                {
                    if (_stop.IsCancellationRequested) break;
                    if (!await EnsureImageAsync(c)) break;
                    loops.Add(RunContainerLoopAsync(c, imageReady: true));
                }
                await Task.WhenAll(loops);
            }
            else if (!ok && !_stop.IsCancellationRequested)
            {
                _phase = "Failed";
            }
            if (!_stopping)
            {
                var phase = ComputePhase();
                if (phase is "Succeeded" or "Failed") _phase = phase;
            }
            Flush();
            if (_stopping && !Gone.IsCancellationRequested)
            {
                foreach (var c in Containers.Concat(InitContainers))
                    if (c.State.Running is not null || c.State.Waiting is not null)
                        c.State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 0, Reason = "Completed", FinishedAt = _lab.Clock.UtcNowSeconds, StartedAt = c.State.Running?.StartedAt } };
                Flush();
                await WaitUpAsync(Gone);
                DeleteNow(_lab, Pod);
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e) when (e is ApiException or InvalidOperationException) { }
    }

    internal static void DeleteNow(LabHost lab, V1Pod pod)
    {
        try
        {
            lab.Store.Delete(lab.Registry.Pods(), pod.Metadata.NamespaceProperty, pod.Metadata.Name, cur =>
            {
                if (cur.Object.Metadata.Uid != pod.Metadata.Uid) throw ApiException.NotFound("pods", "", pod.Metadata.Name);
            });
        }
        catch (ApiException) { }
    }

    PodFault? FaultFor(ContainerRuntime c)
    {
        foreach (var f in _lab.Faults.Current.Pods)
        {
            if (f.Namespace is not null && f.Namespace != _ns) continue;
            if (f.Container is not null && f.Container != c.Spec.Name) continue;
            var match = f.Pod.EndsWith('*') ? _name.StartsWith(f.Pod[..^1], StringComparison.Ordinal) : f.Pod == _name;
            if (match) return f;
        }
        return null;
    }

    string PodRef => $"{_name}_{_ns}({_uid})";

    static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(300);

    /// <summary>Pulls the image when needed (with ErrImagePull/ImagePullBackOff and backoff); false when stopped.</summary>
    async Task<bool> EnsureImageAsync(ContainerRuntime c)
    {
        var image = c.Spec.Image;
        var policy = c.Spec.ImagePullPolicy ?? "IfNotPresent";
        var backoff = TimeSpan.FromSeconds(10);
        while (!_stop.IsCancellationRequested)
        {
            var present = _m.Puller.IsPresent(_node, image);
            if (present && policy != "Always")
            {
                var facts = _m.Puller.Describe(image);
                c.ImageId ??= facts is null ? "" : ImageNames.Repository(ImageNames.Normalize(image)) + "@" + facts.Digest;
                Event("Normal", "Pulled", $"Container image \"{image}\" already present on machine", c);
                return true;
            }
            if (policy == "Never")
            {
                var msg = $"Container image \"{image}\" is not present with pull policy of Never";
                c.State = Waiting("ErrImageNeverPull", msg);
                Flush();
                Event("Warning", "ErrImageNeverPull", msg, c);
                await _lab.Clock.DelayAsync(backoff, _stop.Token);
                backoff = Min(backoff * 2, MaxBackoff);
                continue;
            }
            await WaitUpAsync(_stop.Token);
            Event("Normal", "Pulling", $"Pulling image \"{image}\"", c);
            var started = _lab.Clock.UtcNow;
            using var pullCancel = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, _kubelet.DownToken);
            try
            {
                var pulled = await _m.Puller.PullAsync(_node, image, null, pullCancel.Token);
                var took = _lab.Clock.UtcNow - started;
                c.ImageId = pulled.ImageId;
                c.PulledBytes = (pulled.BytesFromRegistry, pulled.BytesFromPeers);
                Event("Normal", "Pulled",
                    $"Successfully pulled image \"{image}\" in {GoFormat.Duration(took)} ({GoFormat.Duration(took)} including waiting). Image size: {pulled.SizeBytes} bytes.", c);
                _m.NoteImage(_node, pulled);
                return true;
            }
            catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
            {
                continue; // the kubelet stopped: the pull pauses (layers already on the node stay) until it runs again
            }
            catch (ImagePullException e)
            {
                Event("Warning", "Failed", $"Failed to pull image \"{image}\": {e.Message}", c);
                Event("Warning", "Failed", "Error: ErrImagePull", c);
                c.State = Waiting("ErrImagePull", e.Message);
                Flush();
                await _lab.Clock.DelayAsync(TimeSpan.FromSeconds(1), _stop.Token);
                var msg = $"Back-off pulling image \"{image}\"";
                c.State = Waiting("ImagePullBackOff", msg);
                Flush();
                Event("Normal", "BackOff", msg, c);
                Event("Warning", "Failed", "Error: ImagePullBackOff", c);
                await _lab.Clock.DelayAsync(backoff, _stop.Token);
                backoff = Min(backoff * 2, MaxBackoff);
            }
        }
        return false;
    }

    static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    string NewContainerId()
    {
        var bytes = RandomNumberGenerator.GetBytes(32);
        return "containerd://" + Convert.ToHexString(bytes).ToLowerInvariant();
    }

    /// <summary>Runs a container until it is done for good (restarts included). For init containers: true when it succeeded.</summary>
    async Task<bool> RunContainerLoopAsync(ContainerRuntime c, bool imageReady = false)
    {
        var backoff = TimeSpan.FromSeconds(10);
        var policy = Pod.Spec.RestartPolicy ?? "Always";
        var first = true;
        while (!_stop.IsCancellationRequested)
        {
            if (!(first && imageReady) && (!first || !imageReady))
            {
                if (!first && (c.Spec.ImagePullPolicy ?? "IfNotPresent") != "Always" && c.ImageId is not null) { }
                else if (!await EnsureImageAsync(c)) return false;
            }
            first = false;
            await WaitUpAsync(_stop.Token);
            var facts = _m.Puller.Describe(c.Spec.Image);
            var argv = (c.Spec.Command ?? []).Concat(c.Spec.Args ?? []).ToList();
            var fault = FaultFor(c);
            var program = _lab.Programs.Choose(new ProgramContext
            {
                Lab = _lab, Pod = Pod, Container = c.Spec, IsInit = c.IsInit, HasShell = facts?.HasShell ?? true, Argv = argv,
            });
            if (fault is { Mode: PodFaultMode.Fail } && program.StartError is null) program = new ExitProgram(fault.ExitCode);
            if (fault is { Mode: PodFaultMode.Hang }) program = new RunForeverProgram();
            c.ContainerId = NewContainerId();
            int exitCode;
            DateTime startedAt = _lab.Clock.UtcNowSeconds;
            string? message = null;
            string reason;
            if (program.StartError is { } err)
            {
                Event("Normal", "Created", $"Created container: {c.Spec.Name}", c);
                Event("Warning", "Failed", "Error: " + err, c);
                exitCode = 128;
                reason = "StartError";
                message = err;
                c.Started = false;
                var term = new V1ContainerStateTerminated
                {
                    ExitCode = 128, Reason = "StartError", Message = err, StartedAt = DateTime.UnixEpoch, FinishedAt = _lab.Clock.UtcNowSeconds, ContainerID = c.ContainerId,
                };
                var restart = c.IsInit ? policy != "Never" : policy == "Always" || policy == "OnFailure";
                if (restart)
                {
                    c.LastState = new V1ContainerState { Terminated = term };
                    c.State = Waiting("RunContainerError", err);
                }
                else c.State = new V1ContainerState { Terminated = term };
                Flush();
                if (!restart) return false;
            }
            else
            {
                var log = new ContainerLog();
                if (c.Current is not null) c.Previous = c.Current;
                c.Current = log;
                Event("Normal", "Created", $"Created container: {c.Spec.Name}", c);
                Event("Normal", "Started", $"Started container {c.Spec.Name}", c);
                c.State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = startedAt } };
                // A startup probe holds back readiness and liveness (and Started) until it succeeds, as the kubelet does.
                var startup = c.IsInit ? null : c.Spec.StartupProbe;
                c.Started = !c.IsInit && startup is null;
                var neverReady = fault is { Mode: PodFaultMode.NeverReady or PodFaultMode.Hang };
                c.Ready = !c.IsInit && startup is null && c.Spec.ReadinessProbe is null && !neverReady;
                Flush();
                using var kill = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var livenessKilled = false;
                void StartProbes()
                {
                    if (c.IsInit) return;
                    if (c.Spec.ReadinessProbe is { } rp && !neverReady) _ = ReadinessAsync(c, rp, kill.Token);
                    if (c.Spec.LivenessProbe is { } lp) _ = LivenessAsync(c, lp, kill, () => livenessKilled = true);
                }
                if (startup is null) StartProbes();
                else _ = StartupAsync(c, startup, kill, () => livenessKilled = true, () =>
                {
                    c.Started = true;
                    if (c.Spec.ReadinessProbe is null && !neverReady) c.Ready = true;
                    Flush();
                    StartProbes();
                });
                var run = new ProgramRun(_lab, Pod, c.Spec, line => log.Append(_lab.Clock.UtcNow, line), kill.Token);
                try
                {
                    exitCode = await program.RunAsync(run);
                }
                catch (OperationCanceledException)
                {
                    if (Gone.IsCancellationRequested) { log.End(); return false; }
                    if (livenessKilled) exitCode = 137;
                    else
                    {
                        Event("Normal", "Killing", $"Stopping container {c.Spec.Name}", c);
                        if (program.IgnoresSigterm)
                        {
                            try { await _lab.Clock.DelayAsync(TimeSpan.FromSeconds(Math.Max(0, _gracePeriod)), Gone); }
                            catch (OperationCanceledException) { log.End(); return false; }
                            exitCode = 137;
                        }
                        else exitCode = 0;
                    }
                }
                kill.Cancel();
                log.End();
                reason = exitCode == 0 ? "Completed" : "Error";
                c.Ready = false;
                if (c.IsInit) c.Started = false;
                c.State = new V1ContainerState
                {
                    Terminated = new V1ContainerStateTerminated
                    {
                        ExitCode = exitCode, Reason = reason, StartedAt = startedAt, FinishedAt = _lab.Clock.UtcNowSeconds, ContainerID = c.ContainerId, Message = message,
                    },
                };
                Flush();
                if (_stop.IsCancellationRequested) return false;
                var restart = c.IsInit ? exitCode != 0 && policy != "Never" : policy == "Always" || (policy == "OnFailure" && exitCode != 0);
                if (!restart) return exitCode == 0;
                c.LastState = c.State;
            }
            // CrashLoopBackOff
            Event("Warning", "BackOff", $"Back-off restarting failed container {c.Spec.Name} in pod {PodRef}", c);
            c.State = Waiting("CrashLoopBackOff", $"back-off {GoFormat.Duration(backoff)} restarting failed container={c.Spec.Name} pod={PodRef}");
            Flush();
            await _lab.Clock.DelayAsync(backoff, _stop.Token);
            backoff = Min(backoff * 2, MaxBackoff);
            c.Restarts++;
        }
        return false;
    }

    int ProbeExit(V1Probe p, ContainerRuntime c)
    {
        if (p.Exec?.Command is not { Count: > 0 } cmd) return 0;
        var prog = _lab.Programs.Choose(new ProgramContext
        {
            Lab = _lab, Pod = Pod, Container = c.Spec, IsInit = false, HasShell = _m.Puller.Describe(c.Spec.Image)?.HasShell ?? true, Argv = cmd.ToList(),
        });
        if (prog.StartError is not null) return 126;
        if (prog is RunForeverProgram) return 0;
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            var t = prog.RunAsync(new ProgramRun(_lab, Pod, c.Spec, _ => { }, cts.Token));
            return t.Wait(TimeSpan.FromMilliseconds(250)) ? t.Result : 0;
        }
        catch (AggregateException) { return 1; }
    }

    async Task ReadinessAsync(ContainerRuntime c, V1Probe p, CancellationToken ct)
    {
        try
        {
            await _lab.Clock.DelayAsync(TimeSpan.FromSeconds(p.InitialDelaySeconds ?? 0), ct);
            while (!ct.IsCancellationRequested)
            {
                await WaitUpAsync(ct);
                if (ProbeExit(p, c) == 0)
                {
                    c.Ready = true;
                    Flush();
                    return;
                }
                Event("Warning", "Unhealthy", "Readiness probe failed: ", c);
                await _lab.Clock.DelayAsync(TimeSpan.FromSeconds(p.PeriodSeconds ?? 10), ct);
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>
    /// The startup probe: after its initial delay, probed every period until it succeeds (then <paramref name="started"/>
    /// runs) or fails failureThreshold times in a row (the container is killed and restarted, as the kubelet does).
    /// </summary>
    Task StartupAsync(ContainerRuntime c, V1Probe p, CancellationTokenSource kill, Action killed, Action started) =>
        KillingProbeAsync(c, p, "Startup", kill, killed, started);

    /// <summary>The liveness probe: probed every period for the container's life; failureThreshold failures in a row restart it.</summary>
    Task LivenessAsync(ContainerRuntime c, V1Probe p, CancellationTokenSource kill, Action killed) =>
        KillingProbeAsync(c, p, "Liveness", kill, killed, null);

    /// <summary>A probe whose repeated failure kills the container; with <paramref name="untilSuccess"/> it stops at its first success and calls it.</summary>
    async Task KillingProbeAsync(ContainerRuntime c, V1Probe p, string kind, CancellationTokenSource kill, Action killed, Action? untilSuccess)
    {
        try
        {
            var ct = kill.Token;
            await _lab.Clock.DelayAsync(TimeSpan.FromSeconds(p.InitialDelaySeconds ?? 0), ct);
            var failures = 0;
            while (!ct.IsCancellationRequested)
            {
                await WaitUpAsync(ct);
                if (ProbeExit(p, c) == 0)
                {
                    failures = 0;
                    if (untilSuccess is not null)
                    {
                        untilSuccess();
                        return;
                    }
                }
                else
                {
                    failures++;
                    Event("Warning", "Unhealthy", $"{kind} probe failed: ", c);
                    if (failures >= (p.FailureThreshold ?? 3))
                    {
                        Event("Normal", "Killing", $"Container {c.Spec.Name} failed {kind.ToLowerInvariant()} probe, will be restarted", c);
                        killed();
                        kill.Cancel();
                        return;
                    }
                }
                await _lab.Clock.DelayAsync(TimeSpan.FromSeconds(p.PeriodSeconds ?? 10), ct);
            }
        }
        catch (OperationCanceledException) { }
    }
}
