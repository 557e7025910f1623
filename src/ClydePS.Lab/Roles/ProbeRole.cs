using System.Globalization;
using ClydePS.Engine.Probe;
using ClydePS.Lab.Kubelet;

namespace ClydePS.Lab.Roles;

/// <summary>
/// The Lab's simulation of ClydePS's probe pods (role <c>clydeps.io/role=probe</c> with the command
/// <see cref="ProbeCommand.Build"/> makes, parsed back by <see cref="ProbeCommand.TryParse"/>; never arbitrary
/// shell). Each sample is a registry download of the Range's bytes from the pod's node through the transfer model
/// (registry egress, the node's NAT gateway when private, the node's downlink), after the network latency and the
/// registry fault's jitter on the time to first byte; the registry fault's slowdown divides the registry bandwidth;
/// a dropped sample is a connection reset (<c>0 000 0 t 0.000000</c>), and a sample cut by <c>--max-time</c> reports the
/// bytes it got. One curl write-out line per sample goes to the container log, every INTERVAL of Lab time; the
/// container exits 0 after the last interval.
/// </summary>
public static class ProbeRole
{
    public static ContainerProgram? Recognize(ProgramContext ctx)
    {
        if (ctx.Role != ProbePod.Role || ctx.IsInit || ctx.Lab.Transfer is null) return null;
        if (ProbeCommand.TryParse(ctx.Argv) is not { } spec) return null;
        if (!ctx.HasShell) return new StartErrorProgram(KnownPrograms.ExecNotFound(ctx.Argv[0]));
        return new ProbeProgram(spec);
    }

    /// <summary>The blob digest of a probe URL (<c>.../v2/&lt;repo&gt;/blobs/&lt;digest&gt;[?ns=...]</c>), or null.</summary>
    public static string? BlobDigest(string url)
    {
        var path = Uri.TryCreate(url, UriKind.Absolute, out var u) ? u.AbsolutePath : url.Split('?')[0];
        var b = path.LastIndexOf("/blobs/", StringComparison.Ordinal);
        return b < 0 ? null : path[(b + "/blobs/".Length)..];
    }

    /// <summary>curl's write-out line: speed (bytes/s, integer as curl 8 prints it), code, size, total and start-transfer seconds.</summary>
    public static string Line(long bytes, int code, double total, double startTransfer) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{(total > 0 ? Math.Round(bytes / total) : 0):0} {code:000} {bytes} {total:0.000000} {startTransfer:0.000000}");
}

public sealed class ProbeProgram(ProbeCommandSpec spec) : ContainerProgram
{
    /// <summary>PID 1 is sh, which ignores SIGTERM.</summary>
    public override bool IgnoresSigterm => true;

    public ProbeCommandSpec Spec => spec;

    public override async Task<int> RunAsync(ProgramRun run)
    {
        var begin = run.Clock.UtcNow;
        for (var i = 0; i < spec.Samples; i++)
        {
            var wait = begin + spec.Interval * i - run.Clock.UtcNow;
            if (wait > TimeSpan.Zero) await run.DelayAsync(wait);
            run.Log(await SampleAsync(run));
        }
        var rest = begin + spec.Interval * spec.Samples - run.Clock.UtcNow;
        if (rest > TimeSpan.Zero) await run.DelayAsync(rest);
        return 0;
    }

    async Task<string> SampleAsync(ProgramRun run)
    {
        var lab = run.Lab;
        var puller = lab.Transfer!;
        var node = run.Pod.Spec?.NodeName ?? "";
        var maxTime = spec.MaxTimeSeconds;

        var fault = lab.Faults.Current.Registry;
        puller.SyncRegistryFault();
        var u = puller.NextRandom();
        var net = puller.NetworkSpec;
        var ttfb = (net.LatencyMs + net.JitterMs * u + (fault?.JitterMs ?? 0) * u) / 1000;
        var dropped = fault is { DropRate: > 0 } && puller.NextRandom() < fault.DropRate;

        var digest = ProbeRole.BlobDigest(spec.Url);
        long size = -1;
        if (digest is not null && lab.Images.FindLayer(digest) is { } layer) size = layer.Layer.SizeBytes;
        else if (digest is not null && lab.Images.FindDocument(digest) is { } doc) size = doc.Document.Content.LongLength;

        if (ttfb >= maxTime)
        {
            await run.DelayAsync(TimeSpan.FromSeconds(maxTime));
            return ProbeRole.Line(0, 0, maxTime, 0); // curl: operation timed out before a response
        }
        await run.DelayAsync(TimeSpan.FromSeconds(ttfb));
        if (dropped) return ProbeRole.Line(0, 0, ttfb, 0); // the registry reset the connection
        if (size < 0) return ProbeRole.Line(0, 404, ttfb, ttfb);
        if (size == 0) return ProbeRole.Line(0, 416, ttfb, ttfb);

        // Reported times come from the model (exact in Lab time), not from when the Lab's timers happened to fire.
        var first = ttfb;
        var bytes = Math.Min(spec.SampleBytes, size);
        var code = bytes == size ? 200 : 206;
        var stream = puller.StartNodeRegistryStream(node, bytes);
        try
        {
            var left = TimeSpan.FromSeconds(Math.Max(0, maxTime - first));
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(run.Stopping);
            var done = await Task.WhenAny(stream.Completion, run.Clock.DelayAsync(left, timer.Token));
            timer.Cancel();
            run.Stopping.ThrowIfCancellationRequested();
            if (done == stream.Completion && stream.Completion.Result)
                return ProbeRole.Line(bytes, code, Math.Min(maxTime, first + (stream.EndTime ?? 0) - stream.StartTime), first);
            var got = puller.Driver.Run(_ => stream.BytesAvailable);
            return ProbeRole.Line(got, got > 0 ? code : 0, maxTime, got > 0 ? first : 0); // curl exit 28 with what arrived
        }
        finally
        {
            puller.Driver.Run(_ => { stream.Cancel(); return 0; });
        }
    }
}
