using System.Collections.Concurrent;
using ClydePS.Lab.Resources;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Kubelet;

/// <summary>
/// The simulated kubelets of every node: one store subscription, one async worker per pod bound to a node whose
/// kubelet runs (a node Ready when the pod arrives). No thread per node or pod: workers wait on Lab-time timers.
/// </summary>
public sealed class KubeletManager
{
    readonly LabHost _lab;
    readonly ResourceDefinition _pods, _nodes;
    readonly ConcurrentDictionary<string, PodWorker> _workers = new();
    readonly ConcurrentDictionary<string, int> _ipCounters = new();
    readonly ConcurrentDictionary<string, ConcurrentDictionary<string, V1ContainerImage>> _pendingImages = new();
    readonly SemaphoreSlim _imageSignal = new(0);
    readonly ConcurrentDictionary<string, NodeKubelet> _nodeKubelets = new();
    CancellationToken _ct;

    public KubeletManager(LabHost lab, IImagePuller puller)
    {
        _lab = lab;
        Puller = puller;
        _pods = lab.Registry.Pods();
        _nodes = lab.Registry.Nodes();
    }

    public IImagePuller Puller { get; }
    internal LabHost Lab => _lab;
    internal CancellationToken Stopping => _ct;

    public async Task RunAsync(CancellationToken ct)
    {
        _ct = ct;
        _ = NodeImagesLoopAsync(ct);
        using var watcher = _lab.Store.Subscribe(_pods, null, 4_000_000);
        foreach (var p in _lab.Store.List(_pods, null).Items) OnPod(p, false);
        var reader = watcher.Reader;
        try
        {
            while (await reader.WaitToReadAsync(ct))
                while (reader.TryRead(out var e))
                    if (e.Object is not null) OnPod(e.Object, e.Type == StoreEventType.Deleted);
        }
        catch (OperationCanceledException) { }
        foreach (var w in _workers.Values) w.Abandon();
    }

    void OnPod(StoredObject o, bool deleted)
    {
        var pod = (V1Pod)o.Object;
        var uid = pod.Metadata.Uid;
        if (deleted)
        {
            if (_workers.TryRemove(uid, out var gone)) gone.Abandon();
            return;
        }
        if (_workers.TryGetValue(uid, out var w))
        {
            w.Observe(pod);
            return;
        }
        var nodeName = pod.Spec?.NodeName;
        if (string.IsNullOrEmpty(nodeName)) return;
        if (_nodeKubelets.TryGetValue(nodeName, out var nk) && !nk.Running) return; // picked up when it starts again
        if (pod.Status?.Phase is "Succeeded" or "Failed")
        {
            if (pod.Metadata.DeletionTimestamp is not null) PodWorker.DeleteNow(_lab, pod);
            return;
        }
        if (_lab.Store.Get(_nodes, "", nodeName) is not { } node || !NodeReady((V1Node)node.Object)) return;
        var worker = new PodWorker(this, pod, (V1Node)node.Object);
        if (_workers.TryAdd(uid, worker)) worker.Start();
    }

    /// <summary>The kubelet state of a node (created running on first use).</summary>
    public NodeKubelet NodeState(string node) => _nodeKubelets.GetOrAdd(node, n => new NodeKubelet(n));

    /// <summary>
    /// Stops or restarts a node's kubelet (the node lifecycle loop calls this as the node's heartbeats stop and
    /// resume). On restart the pods on the node catch up: deferred deletions, status, new pods.
    /// </summary>
    public void SetRunning(string node, bool running)
    {
        var nk = _nodeKubelets.GetValueOrDefault(node);
        if (nk is null)
        {
            if (running) return;
            nk = NodeState(node);
        }
        if (!running) { nk.Stop(); return; }
        if (!nk.Start()) return;
        foreach (var w in _workers.Values)
            if (w.NodeName == node) w.Resume();
        foreach (var p in _lab.Store.List(_pods, null).Items)
            if (((V1Pod)p.Object).Spec?.NodeName == node) OnPod(p, false);
    }

    /// <summary>A deleted node's kubelet stops for good (a node created later under the same name gets a new one).</summary>
    public void NodeDeleted(string node)
    {
        if (_nodeKubelets.TryRemove(node, out var nk)) nk.Delete();
        else new NodeKubelet(node).Delete();
        foreach (var (uid, w) in _workers)
            if (w.NodeName == node && _workers.TryRemove(uid, out var gone)) gone.Abandon();
    }

    static bool NodeReady(V1Node n) => n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    internal string AllocateIp(V1Node node)
    {
        var cidr = node.Spec?.PodCIDR;
        var n = _ipCounters.AddOrUpdate(node.Metadata.Name, 2, (_, v) => v >= 254 ? 2 : v + 1);
        if (string.IsNullOrEmpty(cidr) || cidr.Contains(':'))
            return cidr is { Length: > 0 } && cidr.Contains(':') ? cidr.Split('/')[0] + n.ToString("x") : $"10.244.0.{n}";
        var prefix = cidr.Split('/')[0];
        return prefix[..prefix.LastIndexOf('.')] + "." + n;
    }

    /// <summary>Log of a container of a pod (current run, or the previous one).</summary>
    public PodWorker? Worker(string uid) => _workers.GetValueOrDefault(uid);

    /// <summary>Adds a pulled image to the node's status.images after a short (Lab-time) lag.</summary>
    internal void NoteImage(string node, PulledImage pulled)
    {
        var normalized = ImageNames.Normalize(pulled.Image);
        var names = new List<string> { pulled.ImageId };
        if (!pulled.Image.Contains('@')) names.Add(normalized);
        var map = _pendingImages.GetOrAdd(node, _ => new());
        map[pulled.ImageId] = new V1ContainerImage { Names = names, SizeBytes = pulled.SizeBytes };
        _imageSignal.Release();
    }

    async Task NodeImagesLoopAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await _imageSignal.WaitAsync(ct);
                await _lab.Clock.DelayAsync(TimeSpan.FromSeconds(2), ct);
                while (_imageSignal.CurrentCount > 0) await _imageSignal.WaitAsync(ct);
                foreach (var node in _pendingImages.Keys.ToList())
                {
                    if (!_pendingImages.TryRemove(node, out var images)) continue;
                    try
                    {
                        _lab.Store.Update(_nodes, "", node, cur =>
                        {
                            var n = (V1Node)_nodes.Clone(cur.Object);
                            n.Status ??= new V1NodeStatus();
                            var list = (n.Status.Images ?? []).ToList();
                            foreach (var img in images.Values)
                            {
                                list.RemoveAll(x => x.Names?.Intersect(img.Names).Any() == true);
                                list.Add(img);
                            }
                            n.Status.Images = list.OrderByDescending(x => x.SizeBytes ?? 0).Take(50).ToList();
                            return n;
                        });
                    }
                    catch (ApiException) { }
                }
            }
        }
        catch (OperationCanceledException) { }
    }
}
