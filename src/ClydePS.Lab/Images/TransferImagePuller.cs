using System.Globalization;
using ClydePS.Engine.Transfer;
using ClydePS.Lab.Cluster;
using ClydePS.Lab.Faults;
using ClydePS.Lab.Kubelet;
using ClydePS.Lab.Resources;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Images;

/// <summary>
/// The Lab's <see cref="IImagePuller"/>: pulls catalog images over the <see cref="TransferNetwork"/> in Lab time.
/// Nodes join the model on first use (public when they have an ExternalIP, else behind their region's NAT
/// gateway; bandwidth from the cluster file; images listed in <c>status.images</c> already held). With
/// <c>network.p2p</c>, nodes whose mirror is Ready (<see cref="IsMirrorReady"/>, default: the node is Ready)
/// share complete layers. Honours the <see cref="PullFault"/>s and the <see cref="RegistryFault"/> of
/// <see cref="FaultState"/>. The registry mirror's blob streams go through the same model (<see cref="Driver"/>).
/// </summary>
public sealed class TransferImagePuller : IImagePuller, IAsyncDisposable
{
    readonly ObjectStore _store;
    readonly LabClock _clock;
    readonly FaultState _faults;
    readonly NetworkSpec _net;
    readonly Dictionary<string, double> _bandwidthByNode = new(StringComparer.Ordinal);
    readonly Random _random;
    readonly DateTime _start;
    readonly object _randomGate = new();

    public TransferImagePuller(ImageCatalog catalog, ClusterSpec cluster, ObjectStore store, LabClock clock, FaultState faults, int seed)
    {
        Catalog = catalog;
        _store = store;
        _clock = clock;
        _faults = faults;
        _net = cluster.Network ?? new NetworkSpec();
        ValidateNetwork(_net);
        _random = new Random(unchecked(seed * 7919 + 17));
        IsMirrorReady = NodeIsReady;
        for (var g = 0; g < cluster.NodeGroups.Count; g++)
        {
            var grp = cluster.NodeGroups[g];
            if (grp.BandwidthMBps is not double bw) continue;
            var pattern = grp.NamePattern ?? (g == 0 ? "node-{0:000}" : (grp.Name ?? $"group{g}") + "-{0:000}");
            for (var i = 0; i < grp.Count; i++) _bandwidthByNode[string.Format(CultureInfo.InvariantCulture, pattern, i)] = bw;
        }
        foreach (var n in cluster.Nodes)
            if (n.BandwidthMBps is double bw) _bandwidthByNode[n.Name] = bw;
        if (_bandwidthByNode.Values.Any(b => !(b > 0))) throw new LabOptionsException("bandwidthMBps must be > 0");

        Network = new TransferNetwork(new TransferNetworkOptions
        {
            RegistryBandwidthMBps = _net.RegistryBandwidthMBps,
            PeerToPeer = _net.P2p,
            Latency = TimeSpan.FromMilliseconds(_net.LatencyMs),
            Jitter = TimeSpan.FromMilliseconds(_net.JitterMs),
            FailureRate = _net.FailureRate,
            Seed = seed,
        })
        {
            MirrorReadyProbe = name => IsMirrorReady(name),
        };
        _start = clock.UtcNow;
        Driver = new RealTimeTransferDriver(Network, () => (_clock.UtcNow - _start).TotalSeconds, clock.TimeScale)
        {
            BeforeAdvance = net => ApplyRegistryFault(net, _faults.Current.Registry), // fault changes reach transfers in flight
        };
    }

    static void ValidateNetwork(NetworkSpec n)
    {
        if (!(n.RegistryBandwidthMBps > 0)) throw new LabOptionsException("network.registryBandwidthMBps must be > 0");
        if (!(n.NatBandwidthMBps > 0)) throw new LabOptionsException("network.natBandwidthMBps must be > 0");
        if (!(n.NodeBandwidthMBps > 0)) throw new LabOptionsException("network.nodeBandwidthMBps must be > 0");
        if (n.LatencyMs < 0 || n.JitterMs < 0) throw new LabOptionsException("network.latencyMs and jitterMs must be >= 0");
        if (n.FailureRate is < 0 or > 1) throw new LabOptionsException("network.failureRate must be 0..1");
    }

    public ImageCatalog Catalog { get; }
    public TransferNetwork Network { get; }
    /// <summary>Advances <see cref="Network"/> in Lab time (model seconds = Lab seconds since the puller was created).</summary>
    public RealTimeTransferDriver Driver { get; }
    public NetworkSpec NetworkSpec => _net;

    /// <summary>Whether a node's P2P mirror is Ready (default: the node is Ready). The Lab points it at the spegel pods.</summary>
    public Func<string, bool> IsMirrorReady { get; set; }

    bool NodeIsReady(string nodeName) =>
        _store.Get(_store.Registry.Nodes(), "", nodeName)?.Object is V1Node n
        && n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    V1Node? FindNode(string name) => _store.Get(_store.Registry.Nodes(), "", name)?.Object as V1Node;

    static string Architecture(V1Node? node) =>
        node?.Metadata?.Labels?.TryGetValue("kubernetes.io/arch", out var a) == true ? a : "amd64";

    /// <summary>The node in the model, added on first use. Call under the driver's lock.</summary>
    TransferNode EnsureNode(TransferNetwork net, string nodeName)
    {
        if (net.FindNode(nodeName) is { } existing) return existing;
        var v1 = FindNode(nodeName);
        var isPublic = v1?.Status?.Addresses?.Any(a => a.Type == "ExternalIP" && ClydePS.Engine.Network.AddressClassifier.IsPublic(a.Address)) == true;
        NatGateway? nat = null;
        if (!isPublic)
        {
            var region = v1?.Metadata?.Labels?.TryGetValue("topology.kubernetes.io/region", out var r) == true ? r : "default";
            var name = "nat-" + region;
            nat = net.FindNatGateway(name) ?? net.AddNatGateway(name, _net.NatBandwidthMBps);
        }
        var bw = _bandwidthByNode.TryGetValue(nodeName, out var b) ? b : _net.NodeBandwidthMBps;
        var node = net.AddNode(nodeName, bw, bw, nat);
        var arch = Architecture(v1);
        foreach (var img in v1?.Status?.Images ?? [])
            foreach (var name in img.Names ?? [])
                if (Catalog.Resolve(name) is { Missing: false } ci && ci.ForArchitecture(arch) is { } p)
                    net.AddLayers(nodeName, p.Layers.Select(l => l.ToTransfer()));
        return node;
    }

    public bool IsPresent(string nodeName, string image)
    {
        if (Catalog.Resolve(image) is not { Missing: false } ci) return false;
        var platform = ci.ForArchitecture(Architecture(FindNode(nodeName)));
        if (platform is null) return false;
        return Driver.Run(net =>
        {
            var node = EnsureNode(net, nodeName);
            return platform.Layers.All(l => node.HasLayer(l.Digest));
        });
    }

    /// <summary>
    /// Image garbage collection: removes the image's layers from the node, except layers of <paramref name="keep"/> (images still
    /// in use there), so the next pull of the image fetches them again.
    /// </summary>
    public void RemoveImage(string nodeName, string image, IEnumerable<string> keep)
    {
        var arch = Architecture(FindNode(nodeName));
        if (Catalog.Resolve(image) is not { Missing: false } ci || ci.ForArchitecture(arch) is not { } platform) return;
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (var k in keep)
            if (Catalog.Resolve(k) is { Missing: false } kc && kc.ForArchitecture(arch) is { } kp)
                foreach (var l in kp.Layers) kept.Add(l.Digest);
        Driver.Run(net =>
        {
            EnsureNode(net, nodeName);
            foreach (var layer in platform.Layers.Where(l => !kept.Contains(l.Digest)))
                net.RemoveLayer(nodeName, layer.Digest);
            return true;
        });
    }

    public ImageFacts? Describe(string image) =>
        Catalog.Resolve(image) is { Missing: false } ci
            ? new ImageFacts(image, ci.Digest, ci.ForArchitecture("amd64")?.SizeBytes ?? 0, ci.HasShell)
            : null;

    /// <summary>containerd's message for a reference that does not exist.</summary>
    public static string NotFoundMessage(string reference) =>
        $"rpc error: code = NotFound desc = failed to pull and unpack image \"{reference}\": failed to resolve reference \"{reference}\": {reference}: not found";

    public async Task<PulledImage> PullAsync(string nodeName, string image, IProgress<(long Done, long Total)>? progress, CancellationToken cancellationToken)
    {
        var ci = Catalog.Resolve(image);
        var latency = TimeSpan.FromMilliseconds(_net.LatencyMs);
        if (ci is null)
            throw new ImagePullException($"rpc error: code = InvalidArgument desc = failed to pull and unpack image \"{image}\": invalid reference format");
        var reference = ci.Reference.ToString();
        if (ci.Missing)
        {
            await _clock.DelayAsync(latency, cancellationToken).ConfigureAwait(false);
            throw new ImagePullException(NotFoundMessage(reference), notFound: true);
        }
        var plan = _faults.Current;
        if (MatchFault(plan, nodeName, image, ci) is { } fault)
        {
            await _clock.DelayAsync(latency + TimeSpan.FromMilliseconds(plan.Registry?.JitterMs ?? 0), cancellationToken).ConfigureAwait(false);
            throw new ImagePullException(fault.Message ?? TimeoutMessage(ci));
        }
        var v1 = FindNode(nodeName);
        var platform = ci.ForArchitecture(Architecture(v1))
            ?? throw new ImagePullException($"rpc error: code = NotFound desc = failed to pull and unpack image \"{reference}\": no match for platform in manifest: not found", notFound: true);
        var layers = platform.Layers.Select(l => l.ToTransfer()).Append(new TransferLayer(platform.Config.Digest, platform.Config.Size)).ToList();
        var pull = Driver.Run(net =>
        {
            ApplyRegistryFault(net, plan.Registry);
            EnsureNode(net, nodeName);
            return net.StartPull(nodeName, layers, reference);
        });
        using var reg = cancellationToken.Register(() => Driver.Run(_ => pull.Cancel()));
        if (progress is not null)
        {
            var interval = _clock.ToWall(TimeSpan.FromSeconds(1));
            if (interval > TimeSpan.FromMilliseconds(250)) interval = TimeSpan.FromMilliseconds(250);
            if (interval < TimeSpan.FromMilliseconds(10)) interval = TimeSpan.FromMilliseconds(10);
            while (!pull.Completion.IsCompleted)
            {
                progress.Report((Driver.Run(_ => pull.BytesDone), pull.TotalBytes));
                await Task.WhenAny(pull.Completion, Task.Delay(interval, cancellationToken)).ConfigureAwait(false);
                if (cancellationToken.IsCancellationRequested) break;
            }
        }
        var result = await pull.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        switch (result.Status)
        {
            case PullStatus.Completed:
                progress?.Report((result.TotalBytes, result.TotalBytes));
                return new PulledImage(image, ci.ImageId, platform.SizeBytes, ci.HasShell, result.BytesFromRegistry, result.BytesFromPeers);
            case PullStatus.Cancelled:
                throw new OperationCanceledException(cancellationToken);
            default:
                throw new ImagePullException(
                    $"rpc error: code = Unknown desc = failed to pull and unpack image \"{reference}\": failed to copy: httpReadSeeker: failed open: {result.Error}");
        }
    }

    void ApplyRegistryFault(TransferNetwork net, RegistryFault? f)
    {
        var slow = f?.SlowdownFactor is > 0 and var s ? s : 1;
        net.RegistryBandwidthMBps = _net.RegistryBandwidthMBps / slow;
        net.RegistryExtraJitter = TimeSpan.FromMilliseconds(f?.JitterMs ?? 0);
        net.RegistryDropRate = Math.Clamp(f?.DropRate ?? 0, 0, 1);
    }

    /// <summary>Brings the model's registry in line with the current <see cref="RegistryFault"/> (the registry mirror calls this per blob).</summary>
    public void SyncRegistryFault() => Driver.Run(net => ApplyRegistryFault(net, _faults.Current.Registry));

    static string TimeoutMessage(CatalogImage ci) =>
        $"rpc error: code = Unknown desc = failed to pull and unpack image \"{ci.Reference}\": failed to copy: httpReadSeeker: failed open: " +
        $"failed to do request: Get \"https://{(ci.Reference.Registry == "docker.io" ? "registry-1.docker.io" : ci.Reference.Registry)}/v2/{ci.Reference.Repository}/blobs/{ci.Platforms[0].Layers.FirstOrDefault()?.Digest ?? ci.Digest}\": dial tcp: i/o timeout";

    PullFault? MatchFault(FaultPlan plan, string node, string image, CatalogImage ci)
    {
        foreach (var f in plan.Pulls)
        {
            if (f.Node is not null && f.Node != node) continue;
            if (f.Image is not null && !ImageMatches(f.Image, image, ci)) continue;
            double u;
            lock (_randomGate) u = _random.NextDouble();
            if (u < f.Rate) return f;
        }
        return null;
    }

    static bool ImageMatches(string pattern, string image, CatalogImage ci)
    {
        if (pattern == image || pattern == ci.Reference.ToString()) return true;
        if (ImageReference.Parse(pattern) is { } p)
        {
            if (p.ToString() == ci.Reference.ToString()) return true;
            // a bare repository (no tag, no digest) matches every tag
            if (!pattern.Contains(':') && !pattern.Contains('@') && p.Name == ci.Reference.Name) return true;
        }
        return false;
    }

    /// <summary>A registry download of <paramref name="bytes"/> made from <paramref name="nodeName"/> (probe pods): crosses the
    /// registry egress, the node's NAT gateway when it is private, and the node's downlink.</summary>
    public TransferStream StartNodeRegistryStream(string nodeName, long bytes) =>
        Driver.Run(net =>
        {
            EnsureNode(net, nodeName);
            return net.StartRegistryStream(bytes, null, nodeName);
        });

    /// <summary>A draw from the puller's seeded random (registry jitter and drops).</summary>
    public double NextRandom()
    {
        lock (_randomGate) return _random.NextDouble();
    }

    public ValueTask DisposeAsync() => Driver.DisposeAsync();
}
