using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ClydePS.Lab.Tests;

/// <summary>A mutating admission webhook on 127.0.0.1 (Kestrel, HTTPS with a CA generated here): /mutate adds
/// the label webhooked=true and a warning, /slow answers after 10 s, /deny refuses.</summary>
public sealed class WebhookServer : IAsyncDisposable
{
    readonly WebApplication _app;
    public string Url { get; }
    public string CaPem { get; }
    public ConcurrentQueue<JsonNode> Reviews { get; } = new();

    WebhookServer(WebApplication app, string url, string caPem)
    {
        _app = app;
        Url = url;
        CaPem = caPem;
    }

    public static string NewCaPem(out X509Certificate2 ca, out ECDsa key)
    {
        key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=webhook-test-ca", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
        ca = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return ca.ExportCertificatePem();
    }

    public static async Task<WebhookServer> StartAsync()
    {
        var caPem = NewCaPem(out var ca, out var caKey);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=webhook", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = req.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(12));
        var cert = X509CertificateLoader.LoadPkcs12(issued.CopyWithPrivateKey(key).Export(X509ContentType.Pfx), null);
        caKey.Dispose();
        ca.Dispose();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(cert)));
        var app = builder.Build();
        WebhookServer? self = null;
        app.MapPost("/{mode}", async (HttpContext ctx) =>
        {
            var mode = (string)ctx.Request.RouteValues["mode"]!;
            var review = (await JsonNode.ParseAsync(ctx.Request.Body))!;
            self!.Reviews.Enqueue(review);
            if (mode == "slow")
            {
                // far beyond any webhook timeout, so an answer in time proves the timeout cut it; ends when the caller hangs up
                try { await Task.Delay(10_000, ctx.RequestAborted); }
                catch (OperationCanceledException) { return; }
            }
            var uid = (string)review["request"]!["uid"]!;
            JsonObject response;
            if (mode == "deny")
                response = new JsonObject { ["uid"] = uid, ["allowed"] = false, ["status"] = new JsonObject { ["code"] = 403, ["message"] = "no pods today" } };
            else
            {
                var hasLabels = review["request"]!["object"]!["metadata"]!["labels"] is JsonObject;
                var patch = hasLabels
                    ? """[{"op":"add","path":"/metadata/labels/webhooked","value":"true"}]"""
                    : """[{"op":"add","path":"/metadata/labels","value":{"webhooked":"true"}}]""";
                response = new JsonObject
                {
                    ["uid"] = uid, ["allowed"] = true, ["patchType"] = "JSONPatch",
                    ["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(patch)),
                    ["warnings"] = new JsonArray("mutated by the test webhook"),
                };
            }
            var body = new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["response"] = response };
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(body.ToJsonString());
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new WebhookServer(app, $"https://127.0.0.1:{new Uri(address).Port}", caPem);
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
