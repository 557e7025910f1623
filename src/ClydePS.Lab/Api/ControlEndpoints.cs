using System.Text.Json;
using ClydePS.Lab.Resources;

namespace ClydePS.Lab.Api;

/// <summary>
/// The Lab's own control surface under /clydelab/v1 (authenticated like the API). Fault injection and
/// other Lab controls are added here as further routes:
///   GET  /clydelab/v1/info         Lab facts (version, nodes, time scale, resourceVersion, watchers)
///   GET  /clydelab/v1/stats        request counters per verb and resource
///   POST /clydelab/v1/stats/reset  zero the counters and the request log
///   GET  /clydelab/v1/requests     the most recent API requests (?limit=N, default 100, at most 2000)
///   POST /clydelab/v1/compact      forget the watch history (older resourceVersions then get 410 Expired)
///   POST /clydelab/v1/nodes/{node}/imagegc  kubelet's image garbage collection on that node, now
/// </summary>
public static class ControlEndpoints
{
    public const string Prefix = "/clydelab/v1";

    public static void Map(WebApplication app, LabHost lab)
    {
        Faults.FaultEndpoints.Map(app, lab);
        app.MapGet(Prefix + "/stats", (HttpContext ctx) => ResponseWriter.WriteBytesAsync(ctx, 200, lab.Stats.ToJson()));
        app.MapPost(Prefix + "/stats/reset", (HttpContext ctx) =>
        {
            lab.Stats.Reset();
            return ResponseWriter.WriteBytesAsync(ctx, 200, lab.Stats.ToJson());
        });
        app.MapGet(Prefix + "/requests", (HttpContext ctx) =>
        {
            var limit = int.TryParse(ctx.Request.Query["limit"], out var l) ? l : 100;
            var body = JsonSerializer.SerializeToUtf8Bytes(new { requests = lab.Stats.Recent(limit) },
                new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
            return ResponseWriter.WriteBytesAsync(ctx, 200, body);
        });
        app.MapPost(Prefix + "/compact", (HttpContext ctx) =>
        {
            lab.Store.Compact();
            return ResponseWriter.WriteBytesAsync(ctx, 200, JsonSerializer.SerializeToUtf8Bytes(new { resourceVersion = lab.Store.CurrentResourceVersion.ToString() }));
        });
        app.MapPost(Prefix + "/nodes/{node}/imagegc", (HttpContext ctx, string node) =>
        {
            try
            {
                var gc = Kubelet.ImageGarbageCollector.Collect(lab, node);
                return ResponseWriter.WriteBytesAsync(ctx, 200, JsonSerializer.SerializeToUtf8Bytes(new { node = gc.Node, removed = gc.Removed, kept = gc.Kept }));
            }
            catch (KeyNotFoundException e)
            {
                return ResponseWriter.WriteBytesAsync(ctx, 404, JsonSerializer.SerializeToUtf8Bytes(new { message = e.Message }));
            }
        });
        app.MapGet(Prefix + "/info", (HttpContext ctx) =>
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(new
            {
                version = Discovery.GitVersion,
                url = lab.Url,
                nodes = lab.Store.Count(lab.Registry.Nodes()),
                pods = lab.Store.Count(lab.Registry.Pods()),
                timeScale = lab.Clock.TimeScale,
                labTime = lab.Clock.UtcNow,
                resourceVersion = lab.Store.CurrentResourceVersion.ToString(),
                watchers = lab.Store.WatcherCount,
                https = lab.Https,
            });
            return ResponseWriter.WriteBytesAsync(ctx, 200, body);
        });
    }
}
