using System.Runtime.CompilerServices;
using System.Text.Json;
using ClydePS.Lab.Api;
using ClydePS.Lab.Rbac;
using ClydePS.Lab.Store;

namespace ClydePS.Lab.Faults;

/// <summary>
/// The API slice of the fault plan, as middleware in front of the API routes (never the /clydelab
/// control routes): the first <see cref="ApiFault"/> matching a request's verb, resource (plural, or
/// plural/subresource) and namespace answers it with the real Status body for its code (429 with a
/// Retry-After header and details.retryAfterSeconds, 500, 503, 504) after its latency; Count faults apply
/// to the next N matches, Rate faults to a share drawn from a random seeded by the Lab's seed (reseeded
/// whenever the plan is replaced, so a plan and a request sequence always give the same answers).
/// <see cref="FaultPlan.WatchCutAfterSeconds"/> ends watch responses after that much Lab time, cleanly
/// (the stream ends without an ERROR event), as a dropped connection would look to the client.
/// </summary>
public sealed class ApiFaultInjector
{
    readonly LabHost _lab;
    readonly int _seed;
    readonly object _gate = new();
    readonly ConditionalWeakTable<ApiFault, StrongBox<int>> _used = new();
    Random _random;
    FaultPlan? _seen;

    public ApiFaultInjector(LabHost lab, int seed)
    {
        _lab = lab;
        _seed = seed;
        _random = new Random(seed ^ 0x0fa17);
    }

    public static void Use(WebApplication app, LabHost lab)
    {
        var injector = new ApiFaultInjector(lab, lab.Options.Seed ?? 1);
        app.Use(async (ctx, next) =>
        {
            var path = ctx.Request.Path.Value ?? "";
            if (path.StartsWith("/api/", StringComparison.Ordinal) || path.StartsWith("/apis/", StringComparison.Ordinal))
            {
                if (await injector.TryInjectAsync(ctx)) return;
            }
            await next(ctx);
        });
    }

    /// <summary>How many times a fault has fired (for the control endpoint).</summary>
    public int Fired(ApiFault f)
    {
        lock (_gate) return _used.TryGetValue(f, out var b) ? b.Value : 0;
    }

    static bool Matches(ApiFault f, RequestInfo info) =>
        (string.IsNullOrEmpty(f.Verb) || string.Equals(f.Verb, info.Verb, StringComparison.OrdinalIgnoreCase)) &&
        (string.IsNullOrEmpty(f.Resource) || f.Resource == info.Resource || f.Resource == info.ResourceWithSubresource) &&
        (string.IsNullOrEmpty(f.Namespace) || f.Namespace == info.Namespace);

    ApiFault? Pick(FaultPlan plan, RequestInfo info)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(plan, _seen))
            {
                _seen = plan;
                _random = new Random(_seed ^ 0x0fa17);
            }
            foreach (var f in plan.Api)
            {
                if (!Matches(f, info)) continue;
                var used = _used.GetValue(f, _ => new StrongBox<int>());
                if (f.Count is int count)
                {
                    if (used.Value >= count) continue;
                    if (f.Rate is double r0 && _random.NextDouble() >= r0) continue;
                    used.Value++;
                    return f;
                }
                if (f.Rate is double rate)
                {
                    if (_random.NextDouble() >= rate) continue;
                    used.Value++;
                    return f;
                }
                used.Value++;
                return f; // neither count nor rate: every match
            }
            return null;
        }
    }

    async Task<bool> TryInjectAsync(HttpContext ctx)
    {
        var plan = _lab.Faults.Current;
        var info = RequestInfo.Resolve(ctx.Request);
        if (info.Verb == "watch" && plan.WatchCutAfterSeconds is double cut && cut > 0)
        {
            var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
            cts.CancelAfter(_lab.Clock.ToWall(TimeSpan.FromSeconds(cut)));
            ctx.RequestAborted = cts.Token;
            ctx.Response.RegisterForDispose(cts);
        }
        if (plan.Api.Count == 0 || !info.IsResourceRequest) return false;
        var fault = Pick(plan, info);
        if (fault is null) return false;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        if (fault.LatencyMs > 0)
        {
            try { await _lab.Clock.DelayAsync(TimeSpan.FromMilliseconds(fault.LatencyMs), ctx.RequestAborted); }
            catch (OperationCanceledException) { return true; }
        }
        if (fault.Code == 0) return false;
        var error = Error(fault, info);
        _lab.Stats.Count(info.Verb, info.ResourceWithSubresource);
        await ResponseWriter.WriteErrorAsync(ctx, error);
        _lab.Stats.Record(new RequestLogEntry(_lab.Clock.UtcNow, info.Verb, info.ResourceWithSubresource, info.Namespace.Length > 0 ? info.Namespace : null,
            info.Name.Length > 0 ? info.Name : null, error.Code, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            ctx.Request.Headers.UserAgent.ToString(), ctx.Request.QueryString.Value ?? ""));
        return true;
    }

    /// <summary>The Status the real server (API priority and fairness, etcd, the timeout filter) answers with.</summary>
    public static ApiException Error(ApiFault f, RequestInfo info) => f.Code switch
    {
        429 => new ApiException(429, "TooManyRequests", "Too many requests, please try again later.")
        { RetryAfterSeconds = Math.Max(1, f.RetryAfterSeconds) },
        503 => new ApiException(503, "ServiceUnavailable", "the server is currently unable to handle the request")
        { RetryAfterSeconds = f.RetryAfterSeconds > 0 ? f.RetryAfterSeconds : null },
        504 => new ApiException(504, "Timeout", "Timeout: request did not complete within requested timeout - context deadline exceeded") { HasDetails = true },
        _ => new ApiException(f.Code, f.Code == 500 ? "InternalError" : "Unknown",
            f.Code == 500 ? "Internal error occurred: etcdserver: request timed out" : "an error on the server (\"injected fault\") has prevented the request from succeeding")
        {
            Causes = f.Code == 500 ? [new StatusCause("", "etcdserver: request timed out", "")] : null,
        },
    };
}

/// <summary>/clydelab/v1/faults: GET the plan, PUT to replace it, POST to append to it (FaultPlan JSON).</summary>
public static class FaultEndpoints
{
    public static void Map(WebApplication app, LabHost lab)
    {
        app.MapGet(ControlEndpoints.Prefix + "/faults", (HttpContext ctx) =>
            ResponseWriter.WriteBytesAsync(ctx, 200, System.Text.Encoding.UTF8.GetBytes(lab.Faults.Current.ToJson())));
        app.MapPut(ControlEndpoints.Prefix + "/faults", async (HttpContext ctx) =>
        {
            if (await ReadAsync(ctx) is not { } plan) return;
            lab.Faults.Set(plan);
            await ResponseWriter.WriteBytesAsync(ctx, 200, System.Text.Encoding.UTF8.GetBytes(plan.ToJson()));
        });
        app.MapPost(ControlEndpoints.Prefix + "/faults", async (HttpContext ctx) =>
        {
            if (await ReadAsync(ctx) is not { } add) return;
            var cur = lab.Faults.Current;
            var next = new FaultPlan
            {
                Api = [.. cur.Api, .. add.Api],
                WatchCutAfterSeconds = add.WatchCutAfterSeconds ?? cur.WatchCutAfterSeconds,
                Nodes = [.. cur.Nodes, .. add.Nodes],
                Pulls = [.. cur.Pulls, .. add.Pulls],
                Pods = [.. cur.Pods, .. add.Pods],
                Registry = add.Registry ?? cur.Registry,
            };
            lab.Faults.Set(next);
            await ResponseWriter.WriteBytesAsync(ctx, 200, System.Text.Encoding.UTF8.GetBytes(next.ToJson()));
        });
    }

    static async Task<FaultPlan?> ReadAsync(HttpContext ctx)
    {
        using var reader = new StreamReader(ctx.Request.Body);
        var text = await reader.ReadToEndAsync(ctx.RequestAborted);
        try
        {
            return text.Trim().Length == 0 ? new FaultPlan() : FaultPlan.Parse(text);
        }
        catch (JsonException e)
        {
            await ResponseWriter.WriteErrorAsync(ctx, ApiException.BadRequest("invalid fault plan: " + e.Message));
            return null;
        }
    }

    /// <summary>Loads a fault plan file (--faults), JSON.</summary>
    public static FaultPlan Load(string path)
    {
        try { return FaultPlan.Parse(File.ReadAllText(path)); }
        catch (Exception e) when (e is JsonException or IOException)
        {
            throw new LabOptionsException($"option --faults: \"{path}\": {e.Message}");
        }
    }
}
