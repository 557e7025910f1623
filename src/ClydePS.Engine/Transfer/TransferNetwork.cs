namespace ClydePS.Engine.Transfer;

/// <summary>
/// Event-driven fluid model of image transfers (see Transfer/README.md). Flows between a source (the registry or a
/// peer) and a node get max-min fair rates over the links they cross (registry egress, NAT gateway, node
/// downlink, peer uplink); rates change only when a flow starts or ends, and the model jumps from one event to
/// the next exactly, so it runs in pure virtual time. Time is in seconds from 0, bandwidth in MB/s
/// (1 MB = 1,048,576 bytes). Deterministic for a seed. Not thread-safe: one caller at a time
/// (<see cref="RealTimeTransferDriver"/> serialises access for real-time use).
/// </summary>
public sealed class TransferNetwork
{
    /// <summary>Events closer than this (seconds) are processed together, with one rate computation.</summary>
    public const double TimeEpsilon = 1e-6;

    readonly TransferNetworkOptions _options;
    readonly Random _random;
    readonly TransferLink _registry;
    readonly Dictionary<string, TransferNode> _nodes = new(StringComparer.Ordinal);
    readonly Dictionary<string, NatGateway> _nats = new(StringComparer.Ordinal);
    readonly Dictionary<string, List<TransferNode>> _holders = new(StringComparer.Ordinal);
    readonly List<Flow> _active = [];
    readonly PriorityQueue<Timer, (double, long)> _timers = new();
    readonly List<TransferLink> _touched = [];
    readonly List<TransferLink> _dirtyLinks = [];
    readonly List<Flow> _component = [];
    readonly PriorityQueue<TransferLink, double> _heap = new();
    long _seq;
    int _stamp;
    bool _dirty;

    public TransferNetwork(TransferNetworkOptions? options = null)
    {
        _options = options ?? new TransferNetworkOptions();
        if (_options.MaxConcurrentDownloadsPerPull < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxConcurrentDownloadsPerPull must be >= 1");
        if (_options.MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxAttempts must be >= 1");
        _random = new Random(_options.Seed);
        _registry = new TransferLink("registry", Bandwidth.FromMBps(_options.RegistryBandwidthMBps));
    }

    public TransferNetworkOptions Options => _options;

    /// <summary>Current model time in seconds.</summary>
    public double Now { get; private set; }

    public TransferStats Stats { get; } = new();

    /// <summary>The registry's egress link.</summary>
    public TransferLink Registry => _registry;

    /// <summary>Registry egress in MB/s; changing it re-divides the bandwidth from <see cref="Now"/> on.</summary>
    public double RegistryBandwidthMBps
    {
        get => Bandwidth.ToMBps(_registry.Capacity);
        set
        {
            if (Bandwidth.FromMBps(value) == _registry.Capacity) return;
            Settle();
            _registry.Capacity = Bandwidth.FromMBps(value);
            MarkDirty(_registry);
        }
    }

    /// <summary>Extra first-byte delay for registry transfers, uniform in [0, value) (registry jitter fault).</summary>
    public TimeSpan RegistryExtraJitter { get; set; }

    /// <summary>Extra failure probability of registry transfer attempts (registry drop fault).</summary>
    public double RegistryDropRate { get; set; }

    /// <summary>When set, decides whether a node's P2P mirror is Ready (instead of <see cref="TransferNode.MirrorReady"/>).</summary>
    public Func<string, bool>? MirrorReadyProbe { get; set; }

    /// <summary>A layer finished on a node (raised during <see cref="AdvanceTo"/>; handlers may start pulls).</summary>
    public event Action<LayerCompletedEvent>? LayerCompleted;
    public event Action<LayerAttemptFailedEvent>? LayerAttemptFailed;
    public event Action<PullHandle>? PullEnded;

    public IReadOnlyCollection<TransferNode> Nodes => _nodes.Values;
    public int ActiveFlows => _active.Count;

    public NatGateway AddNatGateway(string name, double bandwidthMBps)
    {
        if (_nats.ContainsKey(name)) throw new ArgumentException($"NAT gateway '{name}' exists", nameof(name));
        var nat = new NatGateway(name, Bandwidth.FromMBps(bandwidthMBps));
        _nats.Add(name, nat);
        return nat;
    }

    public NatGateway? FindNatGateway(string name) => _nats.GetValueOrDefault(name);

    /// <summary>Adds a node. <paramref name="natGateway"/> null = public node (direct to the registry).</summary>
    /// <param name="downloadMBps">Download bandwidth (NIC, disk, unpack), MB/s, &gt; 0.</param>
    /// <param name="uploadMBps">Upload bandwidth for peers, MB/s; default = download.</param>
    public TransferNode AddNode(string name, double downloadMBps, double? uploadMBps = null, NatGateway? natGateway = null, bool mirrorReady = true)
    {
        if (!(downloadMBps > 0)) throw new ArgumentOutOfRangeException(nameof(downloadMBps), "download bandwidth must be > 0");
        if (_nodes.ContainsKey(name)) throw new ArgumentException($"node '{name}' exists", nameof(name));
        var node = new TransferNode(name, _nodes.Count, Bandwidth.FromMBps(downloadMBps), Bandwidth.FromMBps(uploadMBps ?? downloadMBps), natGateway, mirrorReady);
        _nodes.Add(name, node);
        return node;
    }

    public TransferNode? FindNode(string name) => _nodes.GetValueOrDefault(name);

    public TransferNode GetNode(string name) => _nodes.TryGetValue(name, out var n) ? n : throw new KeyNotFoundException($"node '{name}' is not in the network");

    /// <summary>Puts layers on a node without transferring them (pre-loaded images, seeds).</summary>
    public void AddLayers(string node, IEnumerable<TransferLayer> layers)
    {
        var n = GetNode(node);
        foreach (var l in layers) Hold(n, l.Digest);
    }

    /// <summary>Removes a layer from a node (image garbage collection).</summary>
    public void RemoveLayer(string node, string digest)
    {
        var n = GetNode(node);
        if (n.Held.Remove(digest) && _holders.TryGetValue(digest, out var list)) list.Remove(n);
    }

    /// <summary>Whether the node's mirror counts as Ready now.</summary>
    public bool IsMirrorReady(TransferNode node) => MirrorReadyProbe is { } p ? p(node.Name) : node.MirrorReady;

    /// <summary>Starts pulling <paramref name="layers"/> onto <paramref name="node"/> at <see cref="Now"/>. Layers the node
    /// holds count as done at once; a layer another pull on the node is fetching is shared.</summary>
    public PullHandle StartPull(string node, IReadOnlyList<TransferLayer> layers, string? image = null)
    {
        var n = GetNode(node);
        var pull = new PullHandle(this, ++_seq, n, image, layers, Now);
        foreach (var l in layers) pull.Pending.Enqueue(l);
        StartNextLayers(pull);
        return pull;
    }

    /// <summary>Starts a download of <paramref name="sizeBytes"/> from the registry by an outside client, capped at
    /// <paramref name="capMBps"/> (null = only the registry egress limits it). No latency or failures apply.
    /// With <paramref name="node"/> the download is made from that node (a probe pod's curl): it also crosses the
    /// node's NAT gateway (private nodes) and its downlink, sharing them with the node's pulls.</summary>
    public TransferStream StartRegistryStream(long sizeBytes, double? capMBps = null, string? node = null)
    {
        var s = new TransferStream(this, sizeBytes, Now);
        var links = new List<TransferLink> { _registry };
        if (node is not null)
        {
            var n = GetNode(node);
            if (n.Nat is { } nat) links.Add(nat.Link);
            links.Add(n.Down);
        }
        if (capMBps is > 0) links.Add(new TransferLink("stream", Bandwidth.FromMBps(capMBps.Value)));
        var f = new Flow { Id = ++_seq, Links = [.. links], Size = sizeBytes, Target = sizeBytes, Since = Now, Stream = s };
        s.Flow = f;
        if (sizeBytes <= 0) { s.Finish(true, Now); return s; }
        Activate(f);
        return s;
    }

    /// <summary>Time of the next event (a transfer ending, a first byte, a retry), or null when nothing is in flight.</summary>
    public double? NextEventTime
    {
        get
        {
            EnsureRates();
            var t = NextTime();
            return double.IsPositiveInfinity(t) ? null : t;
        }
    }

    /// <summary>Advances the model to <paramref name="time"/>, processing every event up to it in order.</summary>
    public void AdvanceTo(double time)
    {
        while (true)
        {
            EnsureRates();
            var next = NextTime();
            if (next > time + TimeEpsilon || double.IsPositiveInfinity(next)) break;
            if (next > Now) Now = next;
            ProcessAt(Now);
        }
        if (time > Now) Now = time;
    }

    /// <summary>Advances to the next event and processes it; false when nothing is in flight.</summary>
    public bool Step()
    {
        var next = NextEventTime;
        if (next is null) return false;
        AdvanceTo(next.Value);
        return true;
    }

    /// <summary>Runs until nothing is in flight (or <paramref name="until"/>); returns the time reached.</summary>
    public double RunUntilIdle(double until = double.PositiveInfinity)
    {
        while (NextEventTime is double t && t <= until) AdvanceTo(t);
        return Now;
    }

    // ---- pulls ----

    void StartNextLayers(PullHandle pull)
    {
        while (pull.Status == PullStatus.Running && pull.Running.Count < _options.MaxConcurrentDownloadsPerPull && pull.Pending.Count > 0)
        {
            var layer = pull.Pending.Dequeue();
            var node = pull.NodeEntity;
            if (node.Held.Contains(layer.Digest))
            {
                pull.DoneBytes += layer.SizeBytes;
                pull.DoneLayers++;
                continue;
            }
            if (!node.InFlight.TryGetValue(layer.Digest, out var d))
            {
                d = new LayerDownload { Node = node, Layer = layer };
                node.InFlight.Add(layer.Digest, d);
                d.Pulls.Add(pull);
                pull.Running.Add(d);
                StartAttempt(d);
            }
            else
            {
                d.Pulls.Add(pull);
                pull.Running.Add(d);
            }
        }
        if (pull.Status == PullStatus.Running && pull.Running.Count == 0 && pull.Pending.Count == 0)
        {
            Stats.PullsCompleted++;
            pull.Finish(PullStatus.Completed, Now, null);
            PullEnded?.Invoke(pull);
        }
    }

    void StartAttempt(LayerDownload d)
    {
        d.Attempt++;
        var node = d.Node;
        TransferNode? peer = null;
        if (_options.PeerToPeer && IsMirrorReady(node) && _holders.TryGetValue(d.Layer.Digest, out var holders))
        {
            // The least busy holder by bytes being uploaded (not by upload count: a holder serving one 15 GB layer is
            // busier than one serving three small ones); ties rotate with the downloading node, so nodes that start
            // together spread over the holders instead of all picking the first.
            var start = holders.Count == 0 ? 0 : node.Order % holders.Count;
            for (var i = 0; i < holders.Count; i++)
            {
                var h = holders[(start + i) % holders.Count];
                if (h == node || !IsMirrorReady(h)) continue;
                if (peer is null || h.UploadBytes < peer.UploadBytes) peer = h;
                if (h.UploadBytes == 0) break; // cannot do better
            }
        }
        // Always three draws per attempt, so the sequence does not depend on which options are set.
        var uJitter = _random.NextDouble();
        var uFail = _random.NextDouble();
        var uAt = _random.NextDouble();
        var delay = _options.Latency.TotalSeconds + node.Latency.TotalSeconds + _options.Jitter.TotalSeconds * uJitter;
        var failRate = _options.FailureRate;
        if (peer is null)
        {
            delay += RegistryExtraJitter.TotalSeconds * uJitter;
            failRate = 1 - (1 - failRate) * (1 - RegistryDropRate);
        }
        var size = (double)d.Layer.SizeBytes;
        var flow = new Flow
        {
            Id = ++_seq,
            Links = peer is not null ? [peer.Up, node.Down] : node.Nat is { } nat ? [_registry, nat.Link, node.Down] : [_registry, node.Down],
            Peer = peer,
            Size = size,
            Target = uFail < failRate ? Math.Floor(size * uAt) : size,
            Download = d,
        };
        d.Current = flow;
        if (peer is not null)
        {
            peer.Uploads++;
            peer.UploadBytes += size;
        }
        if (delay > 0) _timers.Enqueue(new Timer(Now + delay, flow, null), (Now + delay, flow.Id));
        else Activate(flow);
    }

    void Activate(Flow f)
    {
        f.Since = Now;
        f.Done = 0;
        f.Rate = 0;
        f.Active = true;
        f.ActiveIndex = _active.Count;
        _active.Add(f);
        f.Slots = new int[f.Links.Length];
        var limited = false;
        for (var i = 0; i < f.Links.Length; i++)
        {
            var l = f.Links[i];
            f.Slots[i] = l.Flows.Count;
            l.Flows.Add(f);
            MarkDirty(l);
            limited |= l.Limited;
        }
        if (!limited) f.Rate = double.PositiveInfinity; // crosses no limited link
    }

    void MarkDirty(TransferLink l)
    {
        _dirty = true;
        if (l.Dirty) return;
        l.Dirty = true;
        _dirtyLinks.Add(l);
    }

    void Deactivate(Flow f, bool settle = true)
    {
        if (!f.Active) return;
        if (settle) Settle();
        var last = _active[^1];
        _active[f.ActiveIndex] = last;
        last.ActiveIndex = f.ActiveIndex;
        _active.RemoveAt(_active.Count - 1);
        f.Active = false;
        f.ActiveIndex = -1;
        for (var i = 0; i < f.Links.Length; i++)
        {
            var l = f.Links[i];
            var slot = f.Slots[i];
            var moved = l.Flows[^1];
            l.Flows[slot] = moved;
            for (var j = 0; j < moved.Links.Length; j++)
                if (moved.Links[j] == l) { moved.Slots[j] = slot; break; }
            l.Flows.RemoveAt(l.Flows.Count - 1);
            MarkDirty(l);
        }
    }

    void Hold(TransferNode node, string digest)
    {
        if (!node.Held.Add(digest)) return;
        if (!_holders.TryGetValue(digest, out var list)) _holders[digest] = list = [];
        list.Add(node);
    }

    internal void CancelPull(PullHandle pull)
    {
        if (pull.Status != PullStatus.Running) return;
        EndPull(pull, PullStatus.Cancelled, "cancelled");
    }

    internal void CancelStream(TransferStream s)
    {
        if (s.EndTime is not null || s.Flow is null) return;
        var f = s.Flow;
        if (f.Active)
        {
            Deactivate(f);
            Stats.BytesFromRegistry += (long)f.Done;
        }
        f.Finished = true;
        s.Finish(false, Now);
    }

    void EndPull(PullHandle pull, PullStatus status, string error)
    {
        pull.Pending.Clear();
        foreach (var d in pull.Running.ToArray())
        {
            d.Pulls.Remove(pull);
            if (d.Pulls.Count == 0 && !d.Ended) AbortDownload(d);
        }
        pull.Running.Clear();
        if (status == PullStatus.Failed) Stats.PullsFailed++;
        pull.Finish(status, Now, error);
        PullEnded?.Invoke(pull);
    }

    void AbortDownload(LayerDownload d)
    {
        d.Ended = true;
        d.Node.InFlight.Remove(d.Layer.Digest);
        if (d.Current is { } f && !f.Finished)
        {
            f.Finished = true;
            if (f.Active)
            {
                Deactivate(f);
                Count(f, d, (long)f.Done);
            }
            if (f.Peer is not null) ReleaseUpload(f);
        }
    }

    static void ReleaseUpload(Flow f)
    {
        f.Peer!.Uploads--;
        f.Peer.UploadBytes = Math.Max(0, f.Peer.UploadBytes - f.Size);
    }

    void Count(Flow f, LayerDownload? d, long bytes)
    {
        if (f.Peer is null) Stats.BytesFromRegistry += bytes;
        else Stats.BytesFromPeers += bytes;
        if (d is null) return;
        foreach (var p in d.Pulls)
        {
            if (f.Peer is null) p.BytesFromRegistry += bytes;
            else p.BytesFromPeers += bytes;
        }
    }

    // ---- events ----

    sealed record Timer(double Time, Flow? Activate, LayerDownload? Retry);

    double NextTime()
    {
        var t = double.PositiveInfinity;
        foreach (var f in _active)
        {
            if (f.Target <= f.Done) return Now;
            var ft = f.FinishTime;
            if (ft < t) t = ft;
        }
        if (_timers.TryPeek(out var timer, out _) && timer.Time < t) t = timer.Time;
        return Math.Max(t, Now);
    }

    void ProcessAt(double time)
    {
        Settle();
        var ending = new List<Flow>();
        foreach (var f in _active)
            if (f.Target - f.Done <= 0.5 || f.FinishTime <= time + TimeEpsilon) ending.Add(f);
        ending.Sort((a, b) => a.Id.CompareTo(b.Id));
        var due = new List<Timer>();
        while (_timers.TryPeek(out var timer, out _) && timer.Time <= time + TimeEpsilon) due.Add(_timers.Dequeue());

        foreach (var f in ending)
        {
            Deactivate(f, settle: false);
            // every layer that ends now is held before anyone picks a source, so simultaneous events see each other
            if (f.Download is { Ended: false } d0 && f.Target >= f.Size) Hold(d0.Node, d0.Layer.Digest);
        }
        foreach (var f in ending)
        {
            Stats.Events++;
            f.Done = f.Target;
            f.Finished = true;
            if (f.Stream is { } s)
            {
                Stats.BytesFromRegistry += (long)f.Size;
                s.Finish(true, Now);
                continue;
            }
            var d = f.Download!;
            if (f.Peer is not null) ReleaseUpload(f);
            if (d.Ended) continue;
            Count(f, d, (long)f.Target);
            if (f.Target >= f.Size) CompleteLayer(d, f);
            else FailAttempt(d, f);
        }
        foreach (var t in due)
        {
            Stats.Events++;
            if (t.Activate is { } f)
            {
                if (!f.Finished) Activate(f);
            }
            else if (t.Retry is { Ended: false } d) StartAttempt(d);
        }
    }

    void CompleteLayer(LayerDownload d, Flow f)
    {
        d.Ended = true;
        var node = d.Node;
        node.InFlight.Remove(d.Layer.Digest);
        Hold(node, d.Layer.Digest);
        Stats.LayersCompleted++;
        if (f.Peer is not null) Stats.LayersFromPeers++;
        var pulls = d.Pulls.ToArray();
        foreach (var p in pulls)
        {
            p.Running.Remove(d);
            p.DoneBytes += d.Layer.SizeBytes;
            p.DoneLayers++;
        }
        LayerCompleted?.Invoke(new LayerCompletedEvent(Now, node.Name, d.Layer.Digest, d.Layer.SizeBytes, f.Peer?.Name, pulls.Length > 0 ? pulls[0].Id : 0));
        foreach (var p in pulls) StartNextLayers(p);
    }

    void FailAttempt(LayerDownload d, Flow f)
    {
        Stats.FailedAttempts++;
        var retry = d.Attempt < _options.MaxAttempts;
        LayerAttemptFailed?.Invoke(new LayerAttemptFailedEvent(Now, d.Node.Name, d.Layer.Digest, d.Attempt, retry, f.Peer?.Name));
        if (d.Ended) return;
        if (retry)
        {
            var at = Now + _options.RetryDelay.TotalSeconds;
            _timers.Enqueue(new Timer(at, null, d), (at, ++_seq));
            return;
        }
        d.Ended = true;
        d.Node.InFlight.Remove(d.Layer.Digest);
        var error = $"failed to copy {d.Layer.Digest} from {(f.Peer is null ? "registry" : "peer " + f.Peer.Name)}: unexpected EOF after {d.Attempt} attempts";
        foreach (var p in d.Pulls.ToArray())
        {
            p.Running.Remove(d);
            if (p.Status == PullStatus.Running) EndPull(p, PullStatus.Failed, error);
        }
    }

    // ---- rates ----

    /// <summary>Brings every active flow's byte count to <see cref="Now"/> at its current rate.</summary>
    void Settle()
    {
        foreach (var f in _active)
        {
            if (f.Since < Now)
            {
                f.Done = f.DoneAt(Now);
                f.Since = Now;
            }
        }
    }

    void EnsureRates()
    {
        if (!_dirty) return;
        _dirty = false;
        Settle();
        ComputeRates();
    }

    /// <summary>Max-min fair rates by progressive filling: raise every unfrozen flow's rate together; when a link
    /// saturates, freeze its flows at the current level. A heap keyed by each link's fair level (remaining
    /// capacity / unfrozen flows) finds the next saturating link, so one computation is O(F k log L).</summary>
    void ComputeRates()
    {
        Stats.RateComputations++;
        var stamp = ++_stamp;
        // Only flows connected (through limited links) to a link that changed can change rate: collect that component.
        _touched.Clear();
        _component.Clear();
        foreach (var l in _dirtyLinks)
        {
            l.Dirty = false;
            if (l.Limited && l.Stamp != stamp) { l.Stamp = stamp; _touched.Add(l); }
        }
        _dirtyLinks.Clear();
        for (var i = 0; i < _touched.Count; i++)
        {
            foreach (var f in _touched[i].Flows)
            {
                if (f.Visit == stamp) continue;
                f.Visit = stamp;
                _component.Add(f);
                foreach (var l in f.Links)
                    if (l.Limited && l.Stamp != stamp) { l.Stamp = stamp; _touched.Add(l); }
            }
        }
        Stats.FlowsRecomputed += _component.Count;
        foreach (var f in _component)
        {
            f.Frozen = false;
            f.Rate = double.PositiveInfinity;
        }
        _heap.Clear();
        foreach (var l in _touched)
        {
            l.Remaining = l.Capacity;
            l.Unfrozen = l.Flows.Count;
            if (l.Unfrozen > 0) _heap.Enqueue(l, l.Remaining / l.Unfrozen);
        }
        while (_heap.TryDequeue(out var link, out var level))
        {
            if (link.Unfrozen == 0) continue;
            var current = link.Remaining / link.Unfrozen;
            if (current > level * (1 + 1e-12) + 1e-12) { _heap.Enqueue(link, current); continue; } // stale entry
            level = Math.Max(0, current);
            foreach (var f in link.Flows)
            {
                if (f.Frozen) continue;
                f.Frozen = true;
                f.Rate = level;
                foreach (var other in f.Links)
                {
                    if (!other.Limited) continue;
                    other.Remaining = Math.Max(0, other.Remaining - level);
                    other.Unfrozen--;
                }
            }
        }
    }
}
