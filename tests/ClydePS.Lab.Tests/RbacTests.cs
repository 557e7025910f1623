using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ClydePS.Lab.Tests;

public sealed class RbacLab : IAsyncLifetime
{
    public TestLab Lab { get; private set; } = null!;
    public async Task InitializeAsync() => Lab = await TestLab.StartAsync(new LabOptions { Nodes = 2, EnforceRbac = true });
    public async Task DisposeAsync() => await Lab.DisposeAsync();
}

public sealed class RbacTests(RbacLab shared) : IClassFixture<RbacLab>
{
    TestLab Lab => shared.Lab;

    async Task<(HttpStatusCode Code, JsonNode? Body)> As(string token, HttpMethod method, string path, string? body = null)
    {
        using var req = new HttpRequestMessage(method, path);
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) req.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var resp = await Lab.Http.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        JsonNode? json = null;
        try { json = text.Length > 0 ? JsonNode.Parse(text) : null; } catch (System.Text.Json.JsonException) { }
        return (resp.StatusCode, json);
    }

    async Task EnsureNamespace(string ns) => await Lab.PostAsync("/api/v1/namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + ns + "\"}}");

    async Task<string> ServiceAccountToken(string ns, string name)
    {
        await EnsureNamespace(ns);
        await Lab.PostAsync($"/api/v1/namespaces/{ns}/serviceaccounts", "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"" + name + "\"}}");
        var (code, tr, _) = await Lab.PostAsync($"/api/v1/namespaces/{ns}/serviceaccounts/{name}/token", """{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":3600}}""");
        Assert.True(code == HttpStatusCode.Created, tr?.ToJsonString());
        Assert.Equal("TokenRequest", (string)tr!["kind"]!);
        Assert.Equal(3600, (long)tr["spec"]!["expirationSeconds"]!);
        return (string)tr["status"]!["token"]!;
    }

    [Fact]
    public async Task Service_account_is_forbidden_until_bound()
    {
        var token = await ServiceAccountToken("clyde", "agent");
        Assert.Equal(3, token.Split('.').Length);
        var (code, status) = await As(token, HttpMethod.Get, "/api/v1/namespaces/clyde/pods");
        Assert.Equal(HttpStatusCode.Forbidden, code);
        Assert.Equal("pods is forbidden: User \"system:serviceaccount:clyde:agent\" cannot list resource \"pods\" in API group \"\" in the namespace \"clyde\"", (string)status!["message"]!);
        Assert.Equal("Forbidden", (string)status["reason"]!);
        Assert.Equal("pods", (string)status["details"]!["kind"]!);
        var (c2, s2) = await As(token, HttpMethod.Get, "/api/v1/nodes/node-000");
        Assert.Equal(HttpStatusCode.Forbidden, c2);
        Assert.Equal("nodes \"node-000\" is forbidden: User \"system:serviceaccount:clyde:agent\" cannot get resource \"nodes\" in API group \"\" at the cluster scope", (string)s2!["message"]!);
        // discovery and /version are open to every authenticated user
        Assert.Equal(HttpStatusCode.OK, (await As(token, HttpMethod.Get, "/version")).Code);
        Assert.Equal(HttpStatusCode.OK, (await As(token, HttpMethod.Get, "/api/v1")).Code);
        var (c3, s3) = await As(token, HttpMethod.Get, "/clydelab/v1/info");
        Assert.Equal(HttpStatusCode.Forbidden, c3);
        Assert.Equal("forbidden: User \"system:serviceaccount:clyde:agent\" cannot get path \"/clydelab/v1/info\"", (string)s3!["message"]!);

        var role = """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"pod-reader"},"rules":[{"apiGroups":[""],"resources":["pods","pods/log"],"verbs":["get","list","watch"]},{"apiGroups":[""],"resources":["configmaps"],"resourceNames":["allowed"],"verbs":["get","list","watch"]}]}""";
        Assert.Equal(HttpStatusCode.Created, (await Lab.PostAsync("/apis/rbac.authorization.k8s.io/v1/namespaces/clyde/roles", role)).Code);
        var binding = """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"agent-reads"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"pod-reader"},"subjects":[{"kind":"ServiceAccount","name":"agent"}]}""";
        var (bc, b, _) = await Lab.PostAsync("/apis/rbac.authorization.k8s.io/v1/namespaces/clyde/rolebindings", binding);
        Assert.Equal(HttpStatusCode.Created, bc);
        Assert.Equal("clyde", (string)b!["subjects"]![0]!["namespace"]!);
        Assert.Equal(HttpStatusCode.OK, (await As(token, HttpMethod.Get, "/api/v1/namespaces/clyde/pods")).Code);
        Assert.Equal(HttpStatusCode.Forbidden, (await As(token, HttpMethod.Get, "/api/v1/namespaces/default/pods")).Code);
        Assert.Equal(HttpStatusCode.Forbidden, (await As(token, HttpMethod.Post, "/api/v1/namespaces/clyde/pods", TestLab.Pod("x"))).Code);
        // resourceNames: get of that name only, never list
        await Lab.PostAsync("/api/v1/namespaces/clyde/configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"allowed"}}""");
        Assert.Equal(HttpStatusCode.OK, (await As(token, HttpMethod.Get, "/api/v1/namespaces/clyde/configmaps/allowed")).Code);
        Assert.Equal(HttpStatusCode.Forbidden, (await As(token, HttpMethod.Get, "/api/v1/namespaces/clyde/configmaps/other")).Code);
        var (lc, ls) = await As(token, HttpMethod.Get, "/api/v1/namespaces/clyde/configmaps");
        Assert.Equal(HttpStatusCode.Forbidden, lc);
        Assert.Equal("configmaps is forbidden: User \"system:serviceaccount:clyde:agent\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"clyde\"", (string)ls!["message"]!);
        // a list of that one name (fieldSelector metadata.name) is authorised on the name
        Assert.Equal(HttpStatusCode.OK, (await As(token, HttpMethod.Get, "/api/v1/namespaces/clyde/configmaps?fieldSelector=metadata.name%3Dallowed")).Code);
        Assert.Equal(HttpStatusCode.Forbidden, (await As(token, HttpMethod.Get, "/api/v1/namespaces/clyde/configmaps?fieldSelector=metadata.name%3Dother")).Code);
        // subresources are separate resources
        var (sc, ss) = await As(token, HttpMethod.Get, "/api/v1/namespaces/clyde/pods/p/status");
        Assert.Equal(HttpStatusCode.Forbidden, sc);
        Assert.Equal("pods \"p\" is forbidden: User \"system:serviceaccount:clyde:agent\" cannot get resource \"pods/status\" in API group \"\" in the namespace \"clyde\"", (string)ss!["message"]!);

        // the token dies with its service account
        await Lab.DeleteAsync("/api/v1/namespaces/clyde/serviceaccounts/agent");
        Assert.Equal(HttpStatusCode.Unauthorized, (await As(token, HttpMethod.Get, "/api/v1/namespaces/clyde/pods")).Code);
    }

    [Fact]
    public async Task Token_users_cluster_bindings_and_non_resource_urls()
    {
        var (code, issued, _) = await Lab.PostAsync("/clydelab/v1/tokens", """{"user":"alice","groups":["devs"]}""");
        Assert.Equal(HttpStatusCode.Created, code);
        var token = (string)issued!["token"]!;
        Assert.Contains("system:authenticated", issued["groups"]!.AsArray().Select(g => (string)g!));
        Assert.Equal(HttpStatusCode.Forbidden, (await As(token, HttpMethod.Get, "/api/v1/nodes")).Code);
        var crb = """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"devs-view"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"Group","name":"devs"}]}""";
        Assert.Equal(HttpStatusCode.Created, (await Lab.PostAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", crb)).Code);
        Assert.Equal(HttpStatusCode.OK, (await As(token, HttpMethod.Get, "/api/v1/pods")).Code);
        Assert.Equal(HttpStatusCode.OK, (await As(token, HttpMethod.Get, "/api/v1/namespaces/kube-system/pods")).Code);
        Assert.Equal(HttpStatusCode.Forbidden, (await As(token, HttpMethod.Get, "/api/v1/namespaces/default/secrets")).Code);
        Assert.Equal(HttpStatusCode.Forbidden, (await As(token, HttpMethod.Get, "/api/v1/nodes")).Code);
        var cr = """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"lab-info"},"rules":[{"nonResourceURLs":["/clydelab/*"],"verbs":["get"]}]}""";
        Assert.Equal(HttpStatusCode.Created, (await Lab.PostAsync("/apis/rbac.authorization.k8s.io/v1/clusterroles", cr)).Code);
        var crb2 = """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"alice-info"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"lab-info"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"alice"}]}""";
        Assert.Equal(HttpStatusCode.Created, (await Lab.PostAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", crb2)).Code);
        Assert.Equal(HttpStatusCode.OK, (await As(token, HttpMethod.Get, "/clydelab/v1/info")).Code);
        Assert.Equal(HttpStatusCode.Forbidden, (await As(token, HttpMethod.Post, "/clydelab/v1/compact")).Code);

        // self subject access review answers from the same rules
        var ssar = """{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"namespace":"default","verb":"list","resource":"pods"}}}""";
        var (rc, review) = await As(token, HttpMethod.Post, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ssar);
        Assert.Equal(HttpStatusCode.Created, rc);
        Assert.True((bool)review!["status"]!["allowed"]!);
        Assert.Equal("RBAC: allowed by ClusterRoleBinding \"devs-view\" of ClusterRole \"view\" to Group \"devs\"", (string)review["status"]!["reason"]!);
        var (_, denied) = await As(token, HttpMethod.Post, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            """{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"namespace":"default","verb":"delete","resource":"pods"}}}""");
        Assert.False((bool)denied!["status"]!["allowed"]!);
        var (_, nonRes) = await As(token, HttpMethod.Post, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            """{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"nonResourceAttributes":{"path":"/clydelab/v1/stats","verb":"get"}}}""");
        Assert.True((bool)nonRes!["status"]!["allowed"]!);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await Lab.GetAsync("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")).Code);
    }

    [Fact]
    public async Task Admin_impersonates_and_bootstrap_roles_exist()
    {
        foreach (var r in new[] { "cluster-admin", "admin", "edit", "view" })
            Assert.Equal(HttpStatusCode.OK, (await Lab.GetAsync("/apis/rbac.authorization.k8s.io/v1/clusterroles/" + r)).Code);
        using var req = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces/default/pods");
        req.Headers.Add("Impersonate-User", "bob");
        var resp = await Lab.Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.Forbidden, resp.StatusCode);
        Assert.Contains("User \\\"bob\\\" cannot list resource \\\"pods\\\"", await resp.Content.ReadAsStringAsync());
        // a plain user may not impersonate
        var (_, issued, _) = await Lab.PostAsync("/clydelab/v1/tokens", """{"user":"carol"}""");
        using var req2 = new HttpRequestMessage(HttpMethod.Get, "/version");
        req2.Headers.Authorization = new AuthenticationHeaderValue("Bearer", (string)issued!["token"]!);
        req2.Headers.Add("Impersonate-User", "admin");
        var resp2 = await Lab.Http.SendAsync(req2);
        Assert.Equal(HttpStatusCode.Forbidden, resp2.StatusCode);
        Assert.Contains("users \\\"admin\\\" is forbidden: User \\\"carol\\\" cannot impersonate resource \\\"users\\\" in API group \\\"\\\" at the cluster scope", await resp2.Content.ReadAsStringAsync());
        var (bad, badBody, _) = await Lab.PatchAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/cluster-admin",
            """{"roleRef":{"name":"view"}}""", "application/merge-patch+json");
        Assert.Equal((HttpStatusCode)422, bad);
        Assert.Contains("cannot change roleRef", (string)badBody!["message"]!);
    }
}

public sealed class SelfSubjectAccessReviewWithoutRbacTests
{
    [Fact]
    public async Task Ssar_answers_from_rbac_even_when_not_enforced()
    {
        await using var lab = await TestLab.StartAsync(new LabOptions { Nodes = 1 });
        var (_, issued, _) = await lab.PostAsync("/clydelab/v1/tokens", """{"user":"dave"}""");
        var token = (string)issued!["token"]!;
        using var req = new HttpRequestMessage(HttpMethod.Post, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
        {
            Content = new StringContent("""{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"namespace":"default","verb":"list","resource":"pods"}}}""", Encoding.UTF8, "application/json"),
        };
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var resp = await lab.Http.SendAsync(req);
        var body = JsonNode.Parse(await resp.Content.ReadAsStringAsync())!;
        Assert.False((bool)body["status"]!["allowed"]!);
        // not enforced: the request itself is served
        using var list = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces/default/pods");
        list.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await lab.Http.SendAsync(list)).StatusCode);
        var (_, admin, _) = await lab.PostAsync("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            """{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"verb":"*","resource":"*"}}}""");
        Assert.True((bool)admin!["status"]!["allowed"]!);
    }
}

public sealed class RequestInfoTests
{
    [Theory]
    [InlineData("GET", "/api/v1/namespaces/a/pods", "", "list", "a", "pods", "", "")]
    [InlineData("GET", "/api/v1/namespaces/a/pods", "true", "watch", "a", "pods", "", "")]
    [InlineData("GET", "/api/v1/watch/namespaces/a/pods", "", "watch", "a", "pods", "", "")]
    [InlineData("GET", "/api/v1/namespaces/a/pods/p/log", "", "get", "a", "pods", "log", "p")]
    [InlineData("DELETE", "/api/v1/namespaces/a", "", "delete", "a", "namespaces", "", "a")]
    [InlineData("PUT", "/api/v1/namespaces/a/finalize", "", "update", "a", "namespaces", "finalize", "a")]
    [InlineData("DELETE", "/apis/apps/v1/namespaces/a/daemonsets", "", "deletecollection", "a", "daemonsets", "", "")]
    [InlineData("POST", "/api/v1/namespaces/a/serviceaccounts/sa/token", "", "create", "a", "serviceaccounts", "token", "sa")]
    public void Resolves_like_the_real_request_info_factory(string method, string path, string watch, string verb, string ns, string resource, string sub, string name)
    {
        var i = Rbac.RequestInfo.Resolve(method, path, watch);
        Assert.True(i.IsResourceRequest);
        Assert.Equal((verb, ns, resource, sub, name), (i.Verb, i.Namespace, i.Resource, i.Subresource, i.Name));
    }

    [Fact]
    public void Non_resource_paths()
    {
        var i = Rbac.RequestInfo.Resolve("GET", "/version");
        Assert.False(i.IsResourceRequest);
        Assert.Equal("get", i.Verb);
        Assert.False(Rbac.RequestInfo.Resolve("GET", "/apis/apps/v1").IsResourceRequest);
    }
}
