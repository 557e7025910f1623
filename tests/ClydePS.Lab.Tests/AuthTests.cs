using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using ClydePS.Lab;
using k8s;

namespace ClydePS.Lab.Tests;

public sealed class AuthTests
{
    [Fact]
    public async Task Requests_without_or_with_a_wrong_credential_are_401()
    {
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 1 });
        using var anon = new HttpClient { BaseAddress = new Uri(lab.Host.Url) };
        foreach (var path in new[] { "/version", "/api/v1/nodes", "/clydelab/v1/stats" })
        {
            var resp = await anon.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, resp.StatusCode);
            var body = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!;
            Assert.Equal("Unauthorized", (string)body["reason"]!);
            Assert.Equal("Unauthorized", (string)body["message"]!);
            Assert.Equal(401, (int)body["code"]!);
        }
        anon.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anon.GetAsync("/api/v1/nodes")).StatusCode);
        Assert.Equal(lab.Host.Token, File.ReadAllText(Path.Combine(lab.Host.StateDir, "token")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(lab.Host.KubeconfigPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(lab.Host.StateDir, "token")));
        }
    }

    [Fact]
    public async Task Anonymous_option_serves_requests_without_credentials()
    {
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 1, AllowAnonymous = true });
        using var anon = new HttpClient { BaseAddress = new Uri(lab.Host.Url) };
        Assert.Equal(HttpStatusCode.OK, (await anon.GetAsync("/api/v1/nodes")).StatusCode);
        anon.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anon.GetAsync("/api/v1/nodes")).StatusCode);
    }

    [Fact]
    public async Task Https_with_client_certificate_or_token()
    {
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 2, Https = true });
        Assert.StartsWith("https://127.0.0.1:", lab.Host.Url);
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(lab.Host.StateDir, "ca.crt")));
        HttpClientHandler Handler()
        {
            var h = new HttpClientHandler();
            h.ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(cert!);
            };
            return h;
        }

        var withCert = Handler();
        withCert.ClientCertificates.Add(X509Certificate2.CreateFromPemFile(Path.Combine(lab.Host.StateDir, "admin.crt"), Path.Combine(lab.Host.StateDir, "admin.key")));
        using (var c = new HttpClient(withCert) { BaseAddress = new Uri(lab.Host.Url) })
            Assert.Equal(HttpStatusCode.OK, (await c.GetAsync("/api/v1/nodes")).StatusCode);

        using (var c = new HttpClient(Handler()) { BaseAddress = new Uri(lab.Host.Url) })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await c.GetAsync("/api/v1/nodes")).StatusCode);
            c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", lab.Host.Token);
            Assert.Equal(HttpStatusCode.OK, (await c.GetAsync("/api/v1/nodes")).StatusCode);
        }

        // a client certificate from another CA is not trusted
        using var otherPki = Auth.LabCertificates.Generate();
        var foreign = Handler();
        foreign.ClientCertificates.Add(otherPki.AdminClient);
        using (var c = new HttpClient(foreign) { BaseAddress = new Uri(lab.Host.Url) })
            Assert.Equal(HttpStatusCode.Unauthorized, (await c.GetAsync("/api/v1/nodes")).StatusCode);

        // KubernetesClient through the kubeconfig: client certificate (default context) and token context
        using (var k = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(lab.Host.KubeconfigPath)))
            Assert.Equal(2, (await k.CoreV1.ListNodeAsync()).Items.Count);
        using (var k = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(lab.Host.KubeconfigPath, currentContext: "clyde-lab-token")))
            Assert.Equal(2, (await k.CoreV1.ListNodeAsync()).Items.Count);
    }

    [Fact]
    public async Task Kubeconfig_carries_the_lab_extension()
    {
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 1, TimeScale = 4 });
        var text = File.ReadAllText(lab.Host.KubeconfigPath);
        Assert.Contains("name: clydeps.io/lab", text);
        Assert.Contains("timeScale: 4", text);
        var config = KubernetesClientConfiguration.LoadKubeConfig(lab.Host.KubeconfigPath);
        Assert.Equal("clyde-lab", config.CurrentContext);
        Assert.Equal(lab.Host.Url, config.Clusters.Single().ClusterEndpoint.Server);
        using var k = lab.Client();
        Assert.Single((await k.CoreV1.ListNodeAsync()).Items);
        var version = await k.Version.GetCodeAsync();
        Assert.StartsWith("v1.32.", version.GitVersion);
    }
}
