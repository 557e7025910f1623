using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ClydePS.Engine.Kube;
using k8s;

namespace ClydePS.Engine.Tests.Kube;

/// <summary>A temp folder for kubeconfig files, deleted afterwards.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "clydeps-kube-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string relative, string content)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Environment variables, home folder and in-cluster state without touching the process.</summary>
internal sealed class FakeKubeEnvironment : IKubeEnvironment
{
    public Dictionary<string, string> Variables { get; } = new();

    public string? HomeDirectory { get; set; }

    public bool InCluster { get; set; }

    public string? GetEnvironmentVariable(string name) => Variables.GetValueOrDefault(name);

    public bool IsInCluster() => InCluster;

    public KubernetesClientConfiguration InClusterConfig() =>
        new() { Host = "https://10.0.0.1:443", AccessToken = "in-cluster-token-value", Namespace = "clyde-system" };
}

internal static class Kubeconfigs
{
    public const string Token = "tok-very-secret-123456";

    /// <summary>A kubeconfig with one context per (context, cluster, server, namespace) entry.</summary>
    public static string Simple(string current, params (string Context, string Cluster, string Server, string? Namespace)[] contexts)
    {
        var sb = new StringBuilder();
        sb.AppendLine("apiVersion: v1").AppendLine("kind: Config");
        if (current.Length > 0)
        {
            sb.AppendLine($"current-context: {current}");
        }
        sb.AppendLine("clusters:");
        foreach (var c in contexts.DistinctBy(c => c.Cluster))
        {
            sb.AppendLine($"- name: {c.Cluster}").AppendLine("  cluster:").AppendLine($"    server: {c.Server}");
        }
        sb.AppendLine("contexts:");
        foreach (var c in contexts)
        {
            sb.AppendLine($"- name: {c.Context}").AppendLine("  context:").AppendLine($"    cluster: {c.Cluster}").AppendLine("    user: u");
            if (c.Namespace is not null)
            {
                sb.AppendLine($"    namespace: {c.Namespace}");
            }
        }
        sb.AppendLine("users:").AppendLine("- name: u").AppendLine("  user:").AppendLine($"    token: {Token}");
        return sb.ToString();
    }

    public static string ForFakeServer() => Simple("fake", ("fake", "fake", "http://fake.test", "team"));
}

/// <summary>Self-signed certificate and key as PEM, the way kubeadm writes them.</summary>
internal static class TestCerts
{
    public static (string CertPem, string KeyPem) Create()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=clydeps-test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return (cert.ExportCertificatePem(), rsa.ExportRSAPrivateKeyPem());
    }
}

/// <summary>Answers the client's requests in-process; records what was asked.</summary>
internal sealed class FakeApiHandler : DelegatingHandler
{
    private readonly Func<HttpRequestMessage, int, HttpResponseMessage> _respond;
    private readonly object _gate = new();

    public FakeApiHandler(Func<HttpRequestMessage, int, HttpResponseMessage> respond) => _respond = respond;

    public List<string> Requests { get; } = [];

    public List<string?> Authorizations { get; } = [];

    /// <summary>The HTTP method of each request, in order.</summary>
    public List<string> Methods { get; } = [];

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return Requests.Count;
            }
        }
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int index;
        lock (_gate)
        {
            index = Requests.Count;
            Requests.Add(request.RequestUri!.PathAndQuery);
            Authorizations.Add(request.Headers.Authorization?.ToString());
            Methods.Add(request.Method.Method);
        }
        var response = _respond(request, index);
        response.RequestMessage = request;
        return Task.FromResult(response);
    }

    public static HttpResponseMessage Json(HttpStatusCode code, string json) =>
        new(code) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    public static HttpResponseMessage Status(int code, string reason, string message, int? retryAfterSeconds = null)
    {
        var details = retryAfterSeconds is null ? string.Empty : $",\"details\":{{\"retryAfterSeconds\":{retryAfterSeconds}}}";
        return Json((HttpStatusCode)code,
            $"{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":{System.Text.Json.JsonSerializer.Serialize(message)},\"reason\":\"{reason}\",\"code\":{code}{details}}}");
    }

    public static HttpResponseMessage NodeList(string resourceVersion, string? continueToken, params string[] names) =>
        List("NodeList", resourceVersion, continueToken, names.Select(n => (n, "1")).ToArray());

    public static HttpResponseMessage List(string kind, string resourceVersion, string? continueToken, params (string Name, string Rv)[] items)
    {
        var objects = string.Join(",", items.Select(i => Node(i.Name, i.Rv)));
        var cont = continueToken is null ? string.Empty : $",\"continue\":\"{continueToken}\"";
        return Json(HttpStatusCode.OK, $"{{\"kind\":\"{kind}\",\"apiVersion\":\"v1\",\"metadata\":{{\"resourceVersion\":\"{resourceVersion}\"{cont}}},\"items\":[{objects}]}}");
    }

    public static string Node(string name, string rv) =>
        $"{{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{{\"name\":\"{name}\",\"resourceVersion\":\"{rv}\"}}}}";

    public static string Event(string type, string name, string rv) => $"{{\"type\":\"{type}\",\"object\":{Node(name, rv)}}}";

    public static string Bookmark(string rv) =>
        $"{{\"type\":\"BOOKMARK\",\"object\":{{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{{\"resourceVersion\":\"{rv}\"}}}}}}";

    public static string Expired() =>
        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"too old resource version: 1 (5)\",\"reason\":\"Expired\",\"code\":410}}";

    /// <summary>A watch response whose body is the given lines; it ends cleanly or with a connection reset.</summary>
    public static HttpResponseMessage Stream(bool dropAtEnd, params string[] lines) =>
        new(HttpStatusCode.OK) { Content = new StreamContent(new ScriptedStream(string.Join("\n", lines) + "\n", dropAtEnd)) };

    public static Exception ConnectionReset() =>
        new HttpRequestException("An error occurred while sending the request.", new IOException("Connection reset by peer"));
}

/// <summary>A body that yields its text, then ends or fails like a dropped connection.</summary>
internal sealed class ScriptedStream(string text, bool dropAtEnd) : Stream
{
    private readonly MemoryStream _inner = new(Encoding.UTF8.GetBytes(text));

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = _inner.Read(buffer, offset, count);
        if (read == 0 && dropAtEnd)
        {
            throw new IOException("Connection reset by peer");
        }
        return read;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var read = _inner.Read(buffer.Span);
        if (read == 0 && dropAtEnd)
        {
            throw new IOException("Connection reset by peer");
        }
        return ValueTask.FromResult(read);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
