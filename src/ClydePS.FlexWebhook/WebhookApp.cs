using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using ClydePS.Engine.Flex;
using ClydePS.Engine.Kube;
using k8s;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ClydePS.FlexWebhook;

/// <summary>The web application: routes, TLS and logging, around the framework-free <see cref="FlexAdmission"/>.</summary>
public static class WebhookApp
{
    public static WebApplication Build(IPEndPoint endpoint, X509Certificate2 certificate, IFlexLookup lookup, ClusterGateway? gateway)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = false;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 8 * 1024 * 1024;
            k.Listen(endpoint, l => l.UseHttps(certificate));
        });
        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("flexdaemonsets.webhook");
        var ready = false;

        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", async (CancellationToken ct) =>
        {
            if (ready || gateway is null) return Results.Text("ok");
            try
            {
                // Ready once the API server answered with the permissions the webhook needs.
                await gateway.CallAsync("list nodes", null, (c, t) => c.CoreV1.ListNodeAsync(limit: 1, cancellationToken: t), ct);
                ready = true;
                return Results.Text("ok");
            }
            catch (ClydePS.ClydeException e)
            {
                log.LogWarning("Not ready: {Error}", e.Message);
                return Results.Text("API server not reachable: " + e.Message, statusCode: 503);
            }
        });
        app.MapPost(FlexNames.Path, async (HttpRequest request, CancellationToken ct) =>
        {
            var started = Stopwatch.GetTimestamp();
            using var ms = new MemoryStream();
            await request.Body.CopyToAsync(ms, ct);
            FlexAdmissionResult result;
            try
            {
                result = await FlexAdmission.ReviewAsync(ms.ToArray(), lookup, ct);
            }
            catch (FlexAdmission.BadReviewException e)
            {
                log.LogWarning("Rejected a malformed AdmissionReview: {Error}", e.Message);
                return Results.Text(e.Message, statusCode: 400);
            }
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var level = result.Outcome is FlexOutcome.Mutated or FlexOutcome.NotConcerned ? LogLevel.Information : LogLevel.Warning;
            log.Log(level, "Admission review {Uid} for pod {Namespace}/{Pod}: {Outcome} (template {Template}, node {Node}, cpu {Cpu}, memory {Memory}, ephemeral-storage {Storage}) in {ElapsedMs:0.0} ms{Warning}",
                result.Uid, result.Namespace, result.Pod, result.Outcome, result.Template, result.Node,
                result.Allocation?.Cpu, result.Allocation?.Memory, result.Allocation?.EphemeralStorage, elapsed,
                result.Warnings.Count > 0 ? ": " + string.Join("; ", result.Warnings) : "");
            return Results.Text(result.ResponseJson, "application/json");
        });
        return app;
    }

    public static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
}
