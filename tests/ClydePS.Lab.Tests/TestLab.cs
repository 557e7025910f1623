using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ClydePS.Lab;
using k8s;

namespace ClydePS.Lab.Tests;

/// <summary>A Lab started in-process on a free port, with an authenticated HttpClient.</summary>
public sealed class TestLab : IAsyncDisposable
{
    public LabHost Host { get; }
    public HttpClient Http { get; }

    TestLab(LabHost host)
    {
        Host = host;
        var handler = new HttpClientHandler();
        if (host.Certificates is { } certs)
            handler.ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
                chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(certs.Ca);
                chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                return chain.Build(cert!);
            };
        Http = new HttpClient(handler) { BaseAddress = new Uri(host.Url), Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", host.Token);
    }

    /// <summary>Starts a Lab; API-only unless <paramref name="simulate"/> (scheduler, controllers, kubelets).</summary>
    public static async Task<TestLab> StartAsync(LabOptions? options = null, bool simulate = false)
    {
        options ??= new LabOptions();
        options.Simulate = simulate;
        return new TestLab(await LabHost.StartAsync(options));
    }

    public Kubernetes Client() => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(Host.KubeconfigPath));

    public async Task<(HttpStatusCode Code, JsonNode? Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path,
        string? body = null, string contentType = "application/json", string? accept = null)
    {
        using var req = new HttpRequestMessage(method, path);
        if (body is not null) req.Content = new StringContent(body, Encoding.UTF8, contentType);
        if (req.Content is not null) req.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (accept is not null) req.Headers.TryAddWithoutValidation("Accept", accept);
        var resp = await Http.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        JsonNode? json = null;
        try { json = text.Length > 0 ? JsonNode.Parse(text) : null; } catch (System.Text.Json.JsonException) { }
        return (resp.StatusCode, json, resp);
    }

    public Task<(HttpStatusCode Code, JsonNode? Body, HttpResponseMessage Response)> GetAsync(string path, string? accept = null) =>
        SendAsync(HttpMethod.Get, path, accept: accept);
    public Task<(HttpStatusCode Code, JsonNode? Body, HttpResponseMessage Response)> PostAsync(string path, string body) =>
        SendAsync(HttpMethod.Post, path, body);
    public Task<(HttpStatusCode Code, JsonNode? Body, HttpResponseMessage Response)> PutAsync(string path, string body) =>
        SendAsync(HttpMethod.Put, path, body);
    public Task<(HttpStatusCode Code, JsonNode? Body, HttpResponseMessage Response)> PatchAsync(string path, string body, string contentType) =>
        SendAsync(HttpMethod.Patch, path, body, contentType);
    public Task<(HttpStatusCode Code, JsonNode? Body, HttpResponseMessage Response)> DeleteAsync(string path) =>
        SendAsync(HttpMethod.Delete, path);

    public static string Pod(string name, string image = "busybox:1.36", string? labels = null, string ns = "")
    {
        var meta = "\"name\":\"" + name + "\"";
        if (ns.Length > 0) meta += ",\"namespace\":\"" + ns + "\"";
        if (labels is not null) meta += ",\"labels\":" + labels;
        return "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{" + meta + "},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"" + image + "\"}]}}";
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }
}

/// <summary>One shared Lab for a test class (tests use distinct object names).</summary>
public sealed class SharedLab : IAsyncLifetime
{
    public TestLab Lab { get; private set; } = null!;
    public async Task InitializeAsync() => Lab = await TestLab.StartAsync(new LabOptions
    {
        Nodes = 5, PublicRatio = 0.4, WatchBookmarkInterval = TimeSpan.FromMilliseconds(200),
    });
    public async Task DisposeAsync() => await Lab.DisposeAsync();
}
