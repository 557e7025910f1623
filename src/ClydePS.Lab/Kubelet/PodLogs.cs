using System.Text;
using ClydePS.Lab.Api;
using ClydePS.Lab.Resources;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Kubelet;

/// <summary>GET /api/v1/namespaces/{ns}/pods/{name}/log: container, follow, tailLines, timestamps, previous, sinceSeconds, limitBytes.</summary>
public static class PodLogs
{
    public static async Task HandleAsync(HttpContext ctx, LabHost lab)
    {
        var ns = (string)ctx.Request.RouteValues["ns"]!;
        var name = (string)ctx.Request.RouteValues["name"]!;
        lab.Stats.Count("get", "pods/log");
        try
        {
            await ServeAsync(ctx, lab, ns, name);
        }
        catch (ApiException e)
        {
            if (!ctx.Response.HasStarted) await ResponseWriter.WriteErrorAsync(ctx, e);
        }
        catch (OperationCanceledException) { }
    }

    static bool Flag(HttpRequest r, string n) => r.Query[n] is { Count: > 0 } v && (v == "true" || v == "1");

    static async Task ServeAsync(HttpContext ctx, LabHost lab, string ns, string name)
    {
        var q = ctx.Request.Query;
        var stored = lab.Store.Get(lab.Registry.Pods(), ns, name) ?? throw ApiException.NotFound("pods", "", name);
        var pod = (V1Pod)stored.Object;
        string container = q["container"].ToString();
        var names = pod.Spec.Containers.Select(c => c.Name).ToList();
        var initNames = (pod.Spec.InitContainers ?? []).Select(c => c.Name).ToList();
        if (string.IsNullOrEmpty(container))
        {
            if (names.Count == 1) container = names[0];
            else
            {
                var msg = $"a container name must be specified for pod {name}, choose one of: [{string.Join(" ", names)}]";
                if (initNames.Count > 0) msg += $" or one of the init containers: [{string.Join(" ", initNames)}]";
                throw ApiException.BadRequest(msg);
            }
        }
        if (!names.Contains(container) && !initNames.Contains(container))
            throw ApiException.BadRequest($"container {container} is not valid for pod {name}");
        if (string.IsNullOrEmpty(pod.Spec.NodeName)) throw ApiException.BadRequest($"pod {name} does not have a host assigned");
        var previous = Flag(ctx.Request, "previous");
        var follow = Flag(ctx.Request, "follow");
        var timestamps = Flag(ctx.Request, "timestamps");
        long? tail = long.TryParse(q["tailLines"], out var tl) ? tl : null;
        long? limitBytes = long.TryParse(q["limitBytes"], out var lb) ? lb : null;
        long? sinceSeconds = long.TryParse(q["sinceSeconds"], out var ss) ? ss : null;
        if (tail < 0) throw ApiException.Invalid("PodLogOptions", "", "", [new StatusCause("FieldValueInvalid", $"Invalid value: {tail}: must be greater than or equal to 0", "tailLines")]);

        var worker = lab.Kubelets?.Worker(pod.Metadata.Uid);
        var rt = worker?.Containers.Concat(worker.InitContainers).FirstOrDefault(c => c.Spec.Name == container);
        var status = (pod.Status?.ContainerStatuses ?? []).Concat(pod.Status?.InitContainerStatuses ?? []).FirstOrDefault(s => s.Name == container);
        ContainerLog? log;
        if (previous)
        {
            log = rt?.Previous;
            if (log is null) throw ApiException.BadRequest($"previous terminated container \"{container}\" in pod \"{name}\" not found");
        }
        else
        {
            log = rt?.Current;
            if (log is null)
            {
                var reason = status?.State?.Waiting?.Reason ?? "ContainerCreating";
                throw ApiException.BadRequest($"container \"{container}\" in pod \"{name}\" is waiting to start: {reason}");
            }
        }
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/plain";
        var since = sinceSeconds is long s ? lab.Clock.UtcNow - TimeSpan.FromSeconds(s) : (DateTime?)null;
        long written = 0;
        var (lines, ended, changed) = log.Read(0);
        var index = lines.Count;
        IEnumerable<(DateTime Time, string Line)> first = lines;
        if (since is not null) first = first.Where(l => l.Time >= since);
        if (tail is long t) first = first.TakeLast((int)Math.Min(t, int.MaxValue));
        if (!await WriteAsync(first)) return;
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        if (!follow) return;
        while (!ended)
        {
            await changed.WaitAsync(ctx.RequestAborted);
            (lines, ended, changed) = log.Read(index);
            index += lines.Count;
            if (!await WriteAsync(lines)) return;
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        }

        async Task<bool> WriteAsync(IEnumerable<(DateTime Time, string Line)> items)
        {
            foreach (var (time, line) in items)
            {
                var text = (timestamps ? GoFormat.Rfc3339Nano(time) + " " : "") + line + "\n";
                var bytes = Encoding.UTF8.GetBytes(text);
                if (limitBytes is long lim)
                {
                    if (written >= lim) return false;
                    if (written + bytes.Length > lim) bytes = bytes[..(int)(lim - written)];
                }
                written += bytes.Length;
                await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted);
            }
            return true;
        }
    }
}
