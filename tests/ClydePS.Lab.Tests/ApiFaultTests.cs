using System.Net;
using System.Text.Json.Nodes;
using ClydePS.Lab.Faults;

namespace ClydePS.Lab.Tests;

public sealed class FaultLab : IAsyncLifetime
{
    public TestLab Lab { get; private set; } = null!;
    public async Task InitializeAsync() => Lab = await TestLab.StartAsync(new LabOptions { Nodes = 3, Seed = 7 });
    public async Task DisposeAsync() => await Lab.DisposeAsync();
}

public sealed class ApiFaultTests(FaultLab shared) : IClassFixture<FaultLab>
{
    TestLab Lab => shared.Lab;

    async Task SetPlan(string json)
    {
        var (code, _, _) = await Lab.SendAsync(HttpMethod.Put, "/clydelab/v1/faults", json);
        Assert.Equal(HttpStatusCode.OK, code);
    }

    [Fact]
    public async Task Count_faults_answer_429_with_retry_after_then_exhaust()
    {
        await SetPlan("""{"api":[{"verb":"list","resource":"pods","namespace":"default","code":429,"retryAfterSeconds":3,"count":2}]}""");
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var (code, body, resp) = await Lab.GetAsync("/api/v1/namespaces/default/pods");
                Assert.Equal(HttpStatusCode.TooManyRequests, code);
                Assert.Equal("3", resp.Headers.GetValues("Retry-After").Single());
                Assert.Equal("Status", (string)body!["kind"]!);
                Assert.Equal("TooManyRequests", (string)body["reason"]!);
                Assert.Equal("Too many requests, please try again later.", (string)body["message"]!);
                Assert.Equal(3, (int)body["details"]!["retryAfterSeconds"]!);
                Assert.Equal(429, (int)body["code"]!);
            }
            // other verbs, resources and namespaces are untouched, and the count is exhausted
            Assert.Equal(HttpStatusCode.OK, (await Lab.GetAsync("/api/v1/namespaces/kube-system/pods")).Code);
            Assert.Equal(HttpStatusCode.OK, (await Lab.GetAsync("/api/v1/nodes")).Code);
            Assert.Equal(HttpStatusCode.OK, (await Lab.GetAsync("/api/v1/namespaces/default/pods")).Code);
            var (_, stats, _) = await Lab.GetAsync("/clydelab/v1/requests?limit=5");
            Assert.Contains(stats!["requests"]!.AsArray(), r => (int)r!["code"]! == 429 && (string)r["resource"]! == "pods");
        }
        finally { await SetPlan("{}"); }
    }

    [Fact]
    public async Task Error_codes_have_the_real_status_bodies()
    {
        await SetPlan("""{"api":[{"verb":"get","resource":"nodes","code":500,"count":1},{"verb":"get","resource":"nodes","code":503,"count":1},{"verb":"get","resource":"nodes","code":504,"count":1}]}""");
        try
        {
            var (c1, b1, _) = await Lab.GetAsync("/api/v1/nodes/node-000");
            Assert.Equal(HttpStatusCode.InternalServerError, c1);
            Assert.Equal("InternalError", (string)b1!["reason"]!);
            Assert.StartsWith("Internal error occurred: ", (string)b1["message"]!);
            var (c2, b2, _) = await Lab.GetAsync("/api/v1/nodes/node-000");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, c2);
            Assert.Equal("ServiceUnavailable", (string)b2!["reason"]!);
            var (c3, b3, _) = await Lab.GetAsync("/api/v1/nodes/node-000");
            Assert.Equal(HttpStatusCode.GatewayTimeout, c3);
            Assert.Equal("Timeout", (string)b3!["reason"]!);
            Assert.Equal(HttpStatusCode.OK, (await Lab.GetAsync("/api/v1/nodes/node-000")).Code);
        }
        finally { await SetPlan("{}"); }
    }

    async Task<string> Pattern()
    {
        var s = "";
        for (var i = 0; i < 40; i++) s += (await Lab.GetAsync("/api/v1/nodes/node-001")).Code == HttpStatusCode.OK ? "." : "x";
        return s;
    }

    [Fact]
    public async Task Rate_faults_are_deterministic_from_the_seed()
    {
        const string plan = """{"api":[{"verb":"get","resource":"nodes","code":500,"rate":0.5}]}""";
        try
        {
            await SetPlan(plan);
            var a = await Pattern();
            await SetPlan(plan);
            var b = await Pattern();
            Assert.Equal(a, b);
            Assert.Contains('x', a);
            Assert.Contains('.', a);
        }
        finally { await SetPlan("{}"); }
    }

    [Fact]
    public async Task Control_routes_are_never_faulted_and_post_appends()
    {
        await SetPlan("""{"api":[{"code":503}]}""");
        try
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Lab.GetAsync("/api/v1/nodes")).Code);
            Assert.Equal(HttpStatusCode.OK, (await Lab.GetAsync("/version")).Code);
            Assert.Equal(HttpStatusCode.OK, (await Lab.SendAsync(HttpMethod.Post, "/clydelab/v1/compact")).Code);
            var (code, plan, _) = await Lab.SendAsync(HttpMethod.Post, "/clydelab/v1/faults", """{"watchCutAfterSeconds":5,"nodes":[{"node":"node-002","notReadyAfterSeconds":1000}]}""");
            Assert.Equal(HttpStatusCode.OK, code);
            Assert.Single(plan!["api"]!.AsArray());
            Assert.Equal(5, (double)plan["watchCutAfterSeconds"]!);
            var (_, got, _) = await Lab.GetAsync("/clydelab/v1/faults");
            Assert.Equal("node-002", (string)got!["nodes"]![0]!["node"]!);
            var (bad, badBody, _) = await Lab.SendAsync(HttpMethod.Put, "/clydelab/v1/faults", """{"api":[{"nope":1}]}""");
            Assert.Equal(HttpStatusCode.BadRequest, bad);
            Assert.Equal("BadRequest", (string)badBody!["reason"]!);
        }
        finally { await SetPlan("{}"); }
        Assert.Equal(HttpStatusCode.OK, (await Lab.GetAsync("/api/v1/nodes")).Code);
    }

    [Fact]
    public async Task Latency_only_faults_delay_and_succeed()
    {
        await SetPlan("""{"api":[{"verb":"get","resource":"namespaces","code":0,"latencyMs":300,"count":1}]}""");
        try
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            Assert.Equal(HttpStatusCode.OK, (await Lab.GetAsync("/api/v1/namespaces/default")).Code);
            Assert.True(sw.ElapsedMilliseconds >= 280, sw.ElapsedMilliseconds.ToString());
        }
        finally { await SetPlan("{}"); }
    }

    [Fact]
    public async Task Watch_streams_are_cut_cleanly()
    {
        await SetPlan("""{"watchCutAfterSeconds":0.5}""");
        try
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            using var resp = await Lab.Http.GetAsync("/api/v1/namespaces?watch=true", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
            var text = await resp.Content.ReadAsStringAsync();
            Assert.InRange(sw.Elapsed.TotalSeconds, 0.4, 5);
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.NotEmpty(lines);
            Assert.All(lines, l => Assert.Equal("ADDED", (string)JsonNode.Parse(l)!["type"]!));
        }
        finally { await SetPlan("{}"); }
    }

    [Fact]
    public void Faults_option_parses_a_plan_file()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, """{"api":[{"verb":"list","code":429,"count":1}]}""");
            var o = LabOptions.Parse(["--faults", file, "--rbac"]);
            Assert.Equal(file, o.FaultsFile);
            Assert.True(o.EnforceRbac);
            Assert.Equal(429, FaultEndpoints.Load(file).Api[0].Code);
            Assert.Throws<LabOptionsException>(() => LabOptions.Parse(["--faults", file + ".missing"]));
        }
        finally { File.Delete(file); }
    }
}
