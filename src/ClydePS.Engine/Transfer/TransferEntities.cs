namespace ClydePS.Engine.Transfer;

/// <summary>A shared capacity (bytes/s) that flows crossing it divide max-min fairly: the registry egress, a NAT
/// gateway, a node's downlink or uplink, or a stream's own cap.</summary>
public sealed class TransferLink
{
    internal TransferLink(string name, double bytesPerSecond)
    {
        Name = name;
        Capacity = bytesPerSecond;
    }

    /// <summary>What it is, e.g. <c>registry</c>, <c>nat/us-central1</c>, <c>node-001/down</c>.</summary>
    public string Name { get; }

    /// <summary>Capacity in bytes per second (&lt;= 0 or infinity: unconstrained).</summary>
    public double Capacity { get; internal set; }

    internal bool Limited => Capacity > 0 && !double.IsPositiveInfinity(Capacity);

    // progressive-filling scratch state
    internal readonly List<Flow> Flows = [];
    internal double Remaining;
    internal int Unfrozen;
    internal int Version;
    internal int Stamp;
    internal bool Dirty;
}

/// <summary>A NAT gateway: private nodes behind it reach the registry through its shared bandwidth.</summary>
public sealed class NatGateway
{
    internal NatGateway(string name, double bytesPerSecond)
    {
        Name = name;
        Link = new TransferLink("nat/" + name, bytesPerSecond);
    }

    public string Name { get; }
    public TransferLink Link { get; }
    /// <summary>Bandwidth in MB/s.</summary>
    public double BandwidthMBps => Bandwidth.ToMBps(Link.Capacity);
}

/// <summary>A node of the modelled network: download and upload bandwidth, an optional NAT gateway (private node),
/// the layers it holds and whether its P2P mirror is Ready.</summary>
public sealed class TransferNode
{
    internal readonly HashSet<string> Held = new(StringComparer.Ordinal);
    internal readonly Dictionary<string, LayerDownload> InFlight = new(StringComparer.Ordinal);
    internal int Uploads;

    /// <summary>Bytes of the layers this node is uploading to peers right now (whole layer sizes): how busy its uplink is.</summary>
    internal double UploadBytes;

    internal TransferNode(string name, int order, double downBytesPerSecond, double upBytesPerSecond, NatGateway? nat, bool mirrorReady)
    {
        Name = name;
        Order = order;
        Down = new TransferLink(name + "/down", downBytesPerSecond);
        Up = new TransferLink(name + "/up", upBytesPerSecond);
        Nat = nat;
        MirrorReady = mirrorReady;
    }

    public string Name { get; }
    internal int Order { get; }
    public TransferLink Down { get; }
    public TransferLink Up { get; }
    /// <summary>The NAT gateway of a private node; null for a public node (reaches the registry directly).</summary>
    public NatGateway? Nat { get; }
    /// <summary>Whether the node's P2P mirror is Ready (serves its layers and asks peers). Ignored when the network has a mirror probe.</summary>
    public bool MirrorReady { get; set; }
    /// <summary>Extra time to first byte of every transfer into this node (its link's latency), added to the network's.</summary>
    public TimeSpan Latency { get; set; }
    /// <summary>Digests of the layers complete on the node.</summary>
    public IReadOnlyCollection<string> Layers => Held;
    public bool HasLayer(string digest) => Held.Contains(digest);
    /// <summary>Transfers this node is currently serving to peers (started or waiting for first byte).</summary>
    public int ActiveUploads => Uploads;
}

/// <summary>One byte stream between a source (registry or peer) and a sink (node, or an outside client).</summary>
internal sealed class Flow
{
    public long Id;
    public TransferLink[] Links = [];
    public TransferNode? Peer;
    public double Size;
    public double Target; // bytes at which this attempt ends (Size, or the failure offset)
    public double Done;
    public double Rate;
    public double Since;
    public bool Active;
    public bool Finished;
    public bool Frozen;
    public int Visit;
    public int[] Slots = []; // index of this flow in each link's Flows list
    public int ActiveIndex = -1;
    public LayerDownload? Download;
    public TransferStream? Stream;

    public double DoneAt(double now) => now <= Since || Rate <= 0 ? Done : Math.Min(Target, Done + Rate * (now - Since));
    public double FinishTime => Rate > 0 ? Since + (Target - Done) / Rate : double.PositiveInfinity;
}

/// <summary>A layer being fetched onto a node, shared by every pull on that node that needs it.</summary>
internal sealed class LayerDownload
{
    public required TransferNode Node;
    public required TransferLayer Layer;
    public readonly List<PullHandle> Pulls = [];
    public int Attempt;
    public Flow? Current;
    public bool Ended;
}

/// <summary>
/// A pull of an image's layers onto one node. <see cref="BytesDone"/> is current as of the network's
/// <see cref="TransferNetwork.Now"/>; <see cref="Completion"/> completes (never faults) when the last layer
/// arrives, the pull fails or it is cancelled.
/// </summary>
public sealed class PullHandle
{
    readonly TransferNetwork _network;
    readonly TaskCompletionSource<PullResult> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    internal readonly Queue<TransferLayer> Pending = new();
    internal readonly List<LayerDownload> Running = [];
    internal long DoneBytes;
    internal int DoneLayers;

    internal PullHandle(TransferNetwork network, long id, TransferNode node, string? image, IReadOnlyList<TransferLayer> layers, double start)
    {
        _network = network;
        Id = id;
        NodeEntity = node;
        Image = image;
        Layers = layers;
        StartTime = start;
        TotalBytes = layers.Sum(l => l.SizeBytes);
    }

    public long Id { get; }
    internal TransferNode NodeEntity { get; }
    public string Node => NodeEntity.Name;
    public string? Image { get; }
    public IReadOnlyList<TransferLayer> Layers { get; }
    public long TotalBytes { get; }
    public double StartTime { get; }
    public double? EndTime { get; internal set; }
    public PullStatus Status { get; internal set; } = PullStatus.Running;
    public string? Error { get; internal set; }
    public long BytesFromRegistry { get; internal set; }
    public long BytesFromPeers { get; internal set; }
    public int LayersDone => DoneLayers;

    /// <summary>Bytes of the image on the node now: complete layers plus the progress of layers in flight.</summary>
    public long BytesDone
    {
        get
        {
            double sum = DoneBytes;
            foreach (var d in Running)
                if (d.Current is { Active: true } f) sum += f.DoneAt(_network.Now);
            return (long)Math.Min(TotalBytes, sum);
        }
    }

    public Task<PullResult> Completion => _tcs.Task;

    /// <summary>Stops the pull (its layers in flight stop unless another pull on the node needs them).</summary>
    public void Cancel() => _network.CancelPull(this);

    internal void Finish(PullStatus status, double now, string? error)
    {
        Status = status;
        EndTime = now;
        Error = error;
        _tcs.TrySetResult(new PullResult(Node, Image, status, StartTime, now, TotalBytes, BytesFromRegistry, BytesFromPeers, error));
    }
}

/// <summary>A download from the registry by something outside the node set (e.g. a client of the Lab's registry
/// mirror); it crosses the registry egress and its own cap. <see cref="BytesAvailable"/> is current as of <see cref="TransferNetwork.Now"/>.</summary>
public sealed class TransferStream
{
    readonly TransferNetwork _network;
    readonly TaskCompletionSource<bool> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    internal Flow? Flow;

    internal TransferStream(TransferNetwork network, long size, double start)
    {
        _network = network;
        SizeBytes = size;
        StartTime = start;
    }

    public long SizeBytes { get; }
    public double StartTime { get; }
    public double? EndTime { get; internal set; }
    public bool Completed { get; private set; }

    /// <summary>Bytes the model has delivered so far.</summary>
    public long BytesAvailable => Completed ? SizeBytes : Flow is { Active: true } f ? (long)f.DoneAt(_network.Now) : 0;

    /// <summary>True when complete, false when cancelled.</summary>
    public Task<bool> Completion => _tcs.Task;

    public void Cancel() => _network.CancelStream(this);

    internal void Finish(bool ok, double now)
    {
        Completed = ok;
        EndTime = now;
        _tcs.TrySetResult(ok);
    }
}
