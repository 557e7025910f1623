using ClydePS.Engine.Transfer;

namespace ClydePS.Engine.Seeding.Simulation;

/// <summary>
/// Lower bounds on the time to get an image onto N nodes, whatever the policy. Units: bytes, MB/s (1 MB = 1,048,576
/// bytes), seconds. Every node downloads at most B and uploads at most B (the simulator's nodes are symmetric); the
/// registry serves at most R in total; private nodes reach it through a NAT gateway of G.
/// </summary>
public static class SeedBounds
{
    /// <summary>
    /// The registry rate that bounds the first copy: min(R, G) when every node is private (all registry traffic crosses
    /// the gateway), else R (a public node reaches the registry directly; using R keeps the bound valid, if looser).
    /// </summary>
    public static double EffectiveRegistryMBps(double registryMBps, double? natMBps, bool allPrivate)
    {
        Check(registryMBps, nameof(registryMBps));
        if (natMBps is { } g)
        {
            Check(g, nameof(natMBps));
            if (allPrivate) return Math.Min(registryMBps, g);
        }
        return registryMBps;
    }

    /// <summary>
    /// The piece-level bound <c>max(S/R, S/B, N·S/(R + N·B))</c> in seconds (S image bytes, N nodes needing it, R the
    /// effective registry rate of <see cref="EffectiveRegistryMBps"/>, B node bandwidth). Derivation: (1) every byte
    /// exists first only at the registry, so the first complete copy needs S/R; (2) each node receives S at most B,
    /// so S/B; (3) N·S bytes must be delivered and the total supply rate is at most R (registry) plus N·B (every
    /// node's uplink), so N·S/(R + N·B). It is what an ideal piece-level (BitTorrent-like, pipelined) distribution
    /// approaches. Without P2P peers serve nothing, so the third term is N·S/R instead.
    /// </summary>
    /// <param name="uploadMBps">A node's upload bandwidth when it differs from its download bandwidth (the supply term
    /// uses it); with symmetric nodes, as the simulator's, N·S/(R + N·B) never exceeds S/B.</param>
    public static double PieceLowerBoundSeconds(long imageBytes, int nodes, double registryMBps, double nodeMBps, double? natMBps = null, bool allPrivate = true, bool peerToPeer = true, double? uploadMBps = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(imageBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(nodes);
        Check(nodeMBps, nameof(nodeMBps));
        if (nodes == 0 || imageBytes == 0) return 0;
        var s = (double)imageBytes;
        var r = Bandwidth.FromMBps(EffectiveRegistryMBps(registryMBps, natMBps, allPrivate));
        var b = Bandwidth.FromMBps(nodeMBps);
        if (uploadMBps is { } up) Check(up, nameof(uploadMBps));
        var u = Bandwidth.FromMBps(uploadMBps ?? nodeMBps);
        var supply = peerToPeer ? r + nodes * u : r;
        return Math.Max(Math.Max(s / r, s / b), nodes * s / supply);
    }

    /// <summary>
    /// A bound for a P2P mirror that shares only complete layers (Spegel, Clyde): the largest of the piece bound, for
    /// every layer <see cref="LayerSpreadSeconds"/>, and <see cref="LastCopySpreadSeconds"/> for the smallest layer.
    /// Without P2P it is the piece bound.
    /// </summary>
    public static double LayerLowerBoundSeconds(IReadOnlyList<long> layerBytes, int nodes, double registryMBps, double nodeMBps, double? natMBps = null, bool allPrivate = true, bool peerToPeer = true)
    {
        ArgumentNullException.ThrowIfNull(layerBytes);
        var total = layerBytes.Sum();
        var bound = PieceLowerBoundSeconds(total, nodes, registryMBps, nodeMBps, natMBps, allPrivate, peerToPeer);
        if (!peerToPeer || nodes == 0) return bound;
        var r = EffectiveRegistryMBps(registryMBps, natMBps, allPrivate);
        foreach (var s in layerBytes) bound = Math.Max(bound, LayerSpreadSeconds(s, nodes, r, nodeMBps));
        if (layerBytes.Where(s => s > 0).DefaultIfEmpty(0).Min() is var smallest and > 0)
        {
            bound = Math.Max(bound, LastCopySpreadSeconds(total, smallest, nodes, r, nodeMBps));
        }
        return bound;
    }

    /// <summary>
    /// The time the image of <paramref name="imageBytes"/> (S) needs to reach <paramref name="nodes"/> (N) nodes because
    /// some layer's first complete copy comes last and must still spread, with <paramref name="layerBytes"/> (s) the
    /// smallest layer. Derivation: let t* be the moment the last layer to get a complete copy anywhere gets it, and s*
    /// its size. The first complete copy of any layer came from the registry alone (no peer held it whole before), so by
    /// t* the registry delivered the S − s* bytes of the other layers, and all bytes x(t*) of this layer delivered so far:
    /// x(t*) &lt;= R·t* − S + s*, and t* &gt;= S/R. From t* on, as in <see cref="LayerSpreadSeconds"/>,
    /// dx/dt &lt;= R + (B/s*)·x, so all N nodes hold it no sooner than
    /// t* + (s*/B)·ln((N + R/B) / ((R·t* − S)/s* + 1 + R/B)). Its derivative in t* is positive
    /// (1 − (R/B)/((R·t* − S)/s* + 1 + R/B) &gt; 0), so the least value is at t* = S/R:
    /// T &gt;= S/R + (s*/B)·ln((N + R/B)/(1 + R/B)), which grows with s* &gt;= s. On many small layers the piece bound
    /// S/R is otherwise all there is; this adds the last layer's fan-out, about (s/B)·ln N.
    /// </summary>
    public static double LastCopySpreadSeconds(long imageBytes, long layerBytes, int nodes, double registryMBps, double nodeMBps)
    {
        Check(registryMBps, nameof(registryMBps));
        Check(nodeMBps, nameof(nodeMBps));
        if (imageBytes <= 0 || layerBytes <= 0 || nodes <= 0) return 0;
        var r = Bandwidth.FromMBps(registryMBps);
        var b = Bandwidth.FromMBps(nodeMBps);
        var s = (double)Math.Min(layerBytes, imageBytes);
        var rb = r / b;
        return imageBytes / r + (s / b) * Math.Log((nodes + rb) / (1 + rb));
    }

    /// <summary>
    /// The time one layer of <paramref name="layerBytes"/> (s) needs to reach <paramref name="nodes"/> (N) nodes when a
    /// peer can serve it only once it holds it completely. Derivation: let x(t) be the bytes of the layer delivered to
    /// all nodes by time t and h(t) the nodes holding it completely, so h·s &lt;= x. (1) Until the first complete copy,
    /// only the registry serves the layer; one download runs at most min(R, B), so the first copy exists at
    /// t1 &gt;= s/min(R, B), and by then x(t1) &lt;= R·t1. (2) After that, the layer is served at most by the registry
    /// and by the holders' uplinks: dx/dt &lt;= R + B·h &lt;= R + (B/s)·x. Integrating from t1,
    /// x(t) + R·s/B &lt;= (R·t1 + R·s/B)·e^(B(t − t1)/s). (3) All N nodes hold it when x = N·s, hence
    /// T &gt;= t1 + (s/B)·ln((N + R/B) / (R·t1/s + R/B)), with t1 = s/min(R, B). For R &lt;&lt; B this is about
    /// s/R + (s/B)·ln N: one registry copy, then at best an exponential fan-out among peers.
    /// Bandwidths in MB/s, R already the effective registry rate.
    /// </summary>
    public static double LayerSpreadSeconds(long layerBytes, int nodes, double registryMBps, double nodeMBps)
    {
        Check(registryMBps, nameof(registryMBps));
        Check(nodeMBps, nameof(nodeMBps));
        if (layerBytes <= 0 || nodes <= 0) return 0;
        var s = (double)layerBytes;
        var r = Bandwidth.FromMBps(registryMBps);
        var b = Bandwidth.FromMBps(nodeMBps);
        var t1 = s / Math.Min(r, b);
        var rb = r / b;
        var grow = (s / b) * Math.Log((nodes + rb) / (r * t1 / s + rb));
        return t1 + Math.Max(0, grow);
    }

    static void Check(double mbps, string name)
    {
        if (double.IsNaN(mbps) || mbps <= 0) throw new ArgumentOutOfRangeException(name, mbps, "Bandwidth must be positive.");
    }
}
