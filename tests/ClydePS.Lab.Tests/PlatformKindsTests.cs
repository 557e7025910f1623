using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace ClydePS.Lab.Tests;

public sealed class PlatformKindsTests(SharedLab shared) : IClassFixture<SharedLab>
{
    TestLab Lab => shared.Lab;

    [Fact]
    public async Task Discovery_lists_platform_kinds_with_short_names()
    {
        var (_, v1, _) = await Lab.GetAsync("/api/v1");
        var res = v1!["resources"]!.AsArray().ToDictionary(r => (string)r!["name"]!, r => r!);
        Assert.Equal("cm", (string)res["configmaps"]["shortNames"]![0]!);
        Assert.Equal("sa", (string)res["serviceaccounts"]["shortNames"]![0]!);
        Assert.Equal("svc", (string)res["services"]["shortNames"]![0]!);
        Assert.Equal("ep", (string)res["endpoints"]["shortNames"]![0]!);
        Assert.Equal("ev", (string)res["events"]["shortNames"]![0]!);
        Assert.True(res.ContainsKey("services/status"));
        Assert.True(res.ContainsKey("secrets"));
        var (code, _, _) = await Lab.GetAsync("/apis/coordination.k8s.io/v1");
        Assert.Equal(HttpStatusCode.OK, code);
    }

    [Fact]
    public async Task Secret_type_defaults_and_stringData_is_merged_not_stored()
    {
        var body = """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1"},"data":{"a":"YWFh"},"stringData":{"b":"bee","a":"over"}}""";
        var (code, created, _) = await Lab.PostAsync("/api/v1/namespaces/default/secrets", body);
        Assert.Equal(HttpStatusCode.Created, code);
        Assert.Equal("Opaque", (string)created!["type"]!);
        Assert.Null(created["stringData"]);
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes("over")), (string)created["data"]!["a"]!);
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes("bee")), (string)created["data"]!["b"]!);
        var (_, got, _) = await Lab.GetAsync("/api/v1/namespaces/default/secrets/s1");
        Assert.Null(got!["stringData"]);

        var (bad, status, _) = await Lab.PostAsync("/api/v1/namespaces/default/secrets",
            """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s2"},"data":{"a":"!!not base64"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.StartsWith("Secret in version \"v1\" cannot be handled as a Secret", (string)status!["message"]!);

        var (inv, invalid, _) = await Lab.PostAsync("/api/v1/namespaces/default/secrets",
            """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s3"},"stringData":{"bad key":"x"}}""");
        Assert.Equal((HttpStatusCode)422, inv);
        Assert.Equal("data[bad key]", (string)invalid!["details"]!["causes"]![0]!["field"]!);
        var (typeChange, _, _) = await Lab.PatchAsync("/api/v1/namespaces/default/secrets/s1", """{"type":"Other"}""", "application/merge-patch+json");
        Assert.Equal((HttpStatusCode)422, typeChange);
    }

    [Fact]
    public async Task ConfigMap_crud_and_table()
    {
        var (code, _, _) = await Lab.PostAsync("/api/v1/namespaces/default/configmaps",
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm1"},"data":{"k":"v","k2":"v2"}}""");
        Assert.Equal(HttpStatusCode.Created, code);
        var (_, table, _) = await Lab.GetAsync("/api/v1/namespaces/default/configmaps/cm1", "application/json;as=Table;v=v1;g=meta.k8s.io");
        Assert.Equal(["Name", "Data", "Age"], table!["columnDefinitions"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.Equal(2, (int)table["rows"]![0]!["cells"]![1]!);
        var (ic, _, _) = await Lab.PostAsync("/api/v1/namespaces/default/configmaps",
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm2"},"immutable":true,"data":{"k":"v"}}""");
        Assert.Equal(HttpStatusCode.Created, ic);
        var (pc, perr, _) = await Lab.PatchAsync("/api/v1/namespaces/default/configmaps/cm2", """{"data":{"k":"w"}}""", "application/merge-patch+json");
        Assert.True((HttpStatusCode)422 == pc, pc + " " + perr?.ToJsonString());
        Assert.Contains("field is immutable when `immutable` is set", (string)perr!["message"]!);
    }

    [Fact]
    public async Task Every_namespace_gets_a_default_service_account_and_root_ca()
    {
        var (code, _, _) = await Lab.PostAsync("/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"sa-test"}}""");
        Assert.Equal(HttpStatusCode.Created, code);
        await Wait.Until(async () => (await Lab.GetAsync("/api/v1/namespaces/sa-test/serviceaccounts/default")).Code == HttpStatusCode.OK, "default sa");
        await Wait.Until(async () => (await Lab.GetAsync("/api/v1/namespaces/sa-test/configmaps/kube-root-ca.crt")).Code == HttpStatusCode.OK, "root ca");
        var (_, cm, _) = await Lab.GetAsync("/api/v1/namespaces/sa-test/configmaps/kube-root-ca.crt");
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", (string)cm!["data"]!["ca.crt"]!);
        // deleted, it comes back
        await Lab.DeleteAsync("/api/v1/namespaces/sa-test/serviceaccounts/default");
        await Wait.Until(async () => (await Lab.GetAsync("/api/v1/namespaces/sa-test/serviceaccounts/default")).Code == HttpStatusCode.OK, "default sa again");
        var (_, kube, _) = await Lab.GetAsync("/api/v1/namespaces/kube-system/serviceaccounts/default");
        Assert.Equal("ServiceAccount", (string)kube!["kind"]!);
    }

    [Fact]
    public async Task Service_defaults_and_allocations()
    {
        var (code, svc, _) = await Lab.PostAsync("/api/v1/namespaces/default/services",
            """{"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"type":"NodePort","selector":{"app":"web"},"ports":[{"port":80}]}}""");
        Assert.Equal(HttpStatusCode.Created, code);
        var spec = svc!["spec"]!;
        Assert.StartsWith("10.", (string)spec["clusterIP"]!);
        Assert.True(Resources.Core.ServiceResource.InServiceCidr((string)spec["clusterIP"]!, out _));
        Assert.Equal((string)spec["clusterIP"]!, (string)spec["clusterIPs"]![0]!);
        Assert.Equal("TCP", (string)spec["ports"]![0]!["protocol"]!);
        Assert.Equal(80, (int)spec["ports"]![0]!["targetPort"]!);
        var np = (int)spec["ports"]![0]!["nodePort"]!;
        Assert.InRange(np, 30000, 32767);
        Assert.Equal("None", (string)spec["sessionAffinity"]!);
        Assert.Equal("Cluster", (string)spec["externalTrafficPolicy"]!);
        Assert.Equal("Cluster", (string)spec["internalTrafficPolicy"]!);
        Assert.Equal("IPv4", (string)spec["ipFamilies"]![0]!);
        Assert.Equal("SingleStack", (string)spec["ipFamilyPolicy"]!);

        // an update without the allocated values keeps them
        var (uc, updated, _) = await Lab.PutAsync("/api/v1/namespaces/default/services/web",
            """{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","labels":{"x":"y"}},"spec":{"type":"NodePort","selector":{"app":"web"},"ports":[{"port":80}]}}""");
        Assert.Equal(HttpStatusCode.OK, uc);
        Assert.Equal((string)spec["clusterIP"]!, (string)updated!["spec"]!["clusterIP"]!);
        Assert.Equal(np, (int)updated["spec"]!["ports"]![0]!["nodePort"]!);

        var (dup, dupBody, _) = await Lab.PostAsync("/api/v1/namespaces/default/services",
            "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web2\"},\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":" + np + "}]}}");
        Assert.Equal((HttpStatusCode)422, dup);
        Assert.Equal($"Service \"web2\" is invalid: spec.ports[0].nodePort: Invalid value: {np}: provided port is already allocated", (string)dupBody!["message"]!);

        var (hc, headless, _) = await Lab.PostAsync("/api/v1/namespaces/default/services",
            """{"apiVersion":"v1","kind":"Service","metadata":{"name":"hl"},"spec":{"clusterIP":"None","selector":{"app":"hl"}}}""");
        Assert.Equal(HttpStatusCode.Created, hc);
        Assert.Equal("None", (string)headless!["spec"]!["clusterIPs"]![0]!);

        var (nc, noPorts, _) = await Lab.PostAsync("/api/v1/namespaces/default/services",
            """{"apiVersion":"v1","kind":"Service","metadata":{"name":"noports"},"spec":{"selector":{"app":"x"}}}""");
        Assert.Equal((HttpStatusCode)422, nc);
        Assert.Equal("Service \"noports\" is invalid: spec.ports: Required value", (string)noPorts!["message"]!);

        var (_, k, _) = await Lab.GetAsync("/api/v1/namespaces/default/services/kubernetes");
        Assert.Equal("10.96.0.1", (string)k!["spec"]!["clusterIP"]!);
        var (_, table, _) = await Lab.GetAsync("/api/v1/namespaces/default/services/web", "application/json;as=Table;v=v1;g=meta.k8s.io");
        Assert.Equal(["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"], table!["columnDefinitions"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.Equal($"80:{np}/TCP", (string)table["rows"]![0]!["cells"]![4]!);
    }

    [Fact]
    public async Task LoadBalancer_service_gets_an_ingress_ip()
    {
        var (code, _, _) = await Lab.PostAsync("/api/v1/namespaces/default/services",
            """{"apiVersion":"v1","kind":"Service","metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","selector":{"app":"lb"},"ports":[{"port":443,"targetPort":8443}]}}""");
        Assert.Equal(HttpStatusCode.Created, code);
        JsonNode? svc = null;
        await Wait.Until(async () => (svc = (await Lab.GetAsync("/api/v1/namespaces/default/services/lb")).Body)!["status"]?["loadBalancer"]?["ingress"] is JsonArray { Count: 1 }, "lb ip", 5);
        var ip = (string)svc!["status"]!["loadBalancer"]!["ingress"]![0]!["ip"]!;
        Assert.True(System.Net.IPAddress.TryParse(ip, out _));
        Assert.InRange((int)svc["spec"]!["ports"]![0]!["nodePort"]!, 30000, 32767);
        var (_, table, _) = await Lab.GetAsync("/api/v1/namespaces/default/services/lb", "application/json;as=Table;v=v1;g=meta.k8s.io");
        Assert.Equal(ip, (string)table!["rows"]![0]!["cells"]![3]!);
    }

    static string ReadyStatus(string ip, bool ready) =>
        "{\"status\":{\"phase\":\"Running\",\"podIP\":\"" + ip + "\",\"podIPs\":[{\"ip\":\"" + ip + "\"}],\"conditions\":[{\"type\":\"Ready\",\"status\":\"" + (ready ? "True" : "False") + "\"}]}}";

    [Fact]
    public async Task Endpoints_follow_pod_readiness_for_a_headless_service()
    {
        const string ns = "/api/v1/namespaces/default";
        var (code, _, _) = await Lab.PostAsync(ns + "/services",
            """{"apiVersion":"v1","kind":"Service","metadata":{"name":"db","labels":{"tier":"data"}},"spec":{"clusterIP":"None","selector":{"app":"db"},"ports":[{"name":"sql","port":5432,"targetPort":"pg"}]}}""");
        Assert.Equal(HttpStatusCode.Created, code);
        for (var i = 0; i < 2; i++)
        {
            var pod = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"db-" + i + "\",\"labels\":{\"app\":\"db\"}},\"spec\":{\"hostname\":\"db-" + i + "\",\"subdomain\":\"db\",\"nodeName\":\"node-000\",\"containers\":[{\"name\":\"c\",\"image\":\"postgres:16\",\"ports\":[{\"name\":\"pg\",\"containerPort\":5433}]}]}}";
            Assert.Equal(HttpStatusCode.Created, (await Lab.PostAsync(ns + "/pods", pod)).Code);
        }
        // the Endpoints exist (empty) as soon as the service does
        await Wait.Until(async () => (await Lab.GetAsync(ns + "/endpoints/db")).Code == HttpStatusCode.OK, "endpoints");
        await Lab.PatchAsync(ns + "/pods/db-0/status", ReadyStatus("10.244.0.10", true), "application/merge-patch+json");
        await Lab.PatchAsync(ns + "/pods/db-1/status", ReadyStatus("10.244.0.11", false), "application/merge-patch+json");
        JsonNode? ep = null;
        await Wait.Until(async () => (ep = (await Lab.GetAsync(ns + "/endpoints/db")).Body)!["subsets"]?[0]?["notReadyAddresses"] is JsonArray, "not ready address");
        var subset = ep!["subsets"]![0]!;
        Assert.Equal("10.244.0.10", (string)subset["addresses"]![0]!["ip"]!);
        Assert.Equal("db-0", (string)subset["addresses"]![0]!["hostname"]!);
        Assert.Equal("node-000", (string)subset["addresses"]![0]!["nodeName"]!);
        Assert.Equal("Pod", (string)subset["addresses"]![0]!["targetRef"]!["kind"]!);
        Assert.Equal("db-0", (string)subset["addresses"]![0]!["targetRef"]!["name"]!);
        Assert.Equal("10.244.0.11", (string)subset["notReadyAddresses"]![0]!["ip"]!);
        Assert.Equal(5433, (int)subset["ports"]![0]!["port"]!);
        Assert.Equal("sql", (string)subset["ports"]![0]!["name"]!);
        Assert.Equal("", (string)ep["metadata"]!["labels"]!["service.kubernetes.io/headless"]!);
        Assert.Equal("data", (string)ep["metadata"]!["labels"]!["tier"]!);

        await Lab.PatchAsync(ns + "/pods/db-1/status", ReadyStatus("10.244.0.11", true), "application/merge-patch+json");
        await Wait.Until(async () => (ep = (await Lab.GetAsync(ns + "/endpoints/db")).Body)!["subsets"]![0]!["addresses"]!.AsArray().Count == 2, "both ready");
        Assert.Null(ep!["subsets"]![0]!["notReadyAddresses"]);
        var (_, table, _) = await Lab.GetAsync(ns + "/endpoints/db", "application/json;as=Table;v=v1;g=meta.k8s.io");
        Assert.Equal("10.244.0.10:5433,10.244.0.11:5433", (string)table!["rows"]![0]!["cells"]![1]!);

        // publishNotReadyAddresses lists everything as ready
        await Lab.PatchAsync(ns + "/pods/db-1/status", ReadyStatus("10.244.0.11", false), "application/merge-patch+json");
        await Lab.PatchAsync(ns + "/services/db", """{"spec":{"publishNotReadyAddresses":true}}""", "application/merge-patch+json");
        await Wait.Until(async () => (ep = (await Lab.GetAsync(ns + "/endpoints/db")).Body)!["subsets"]![0]!["addresses"]!.AsArray().Count == 2, "published not ready");

        // deleting the service deletes the endpoints; like the real service storage, DELETE answers with the Service
        var (_, deletedService, _) = await Lab.DeleteAsync(ns + "/services/db");
        Assert.Equal("Service", (string?)deletedService!["kind"]);
        await Wait.Until(async () => (await Lab.GetAsync(ns + "/endpoints/db")).Code == HttpStatusCode.NotFound, "endpoints gone");
    }

    [Fact]
    public async Task Events_and_leases()
    {
        var ev = """{"apiVersion":"v1","kind":"Event","metadata":{"name":"e1.abc"},"involvedObject":{"kind":"Pod","name":"p","namespace":"default"},"reason":"Pulled","message":"done","type":"Normal","source":{"component":"kubelet","host":"node-000"},"count":1}""";
        Assert.Equal(HttpStatusCode.Created, (await Lab.PostAsync("/api/v1/namespaces/default/events", ev)).Code);
        var (_, list, _) = await Lab.GetAsync("/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dp,reason%3DPulled");
        Assert.Single(list!["items"]!.AsArray());
        var (_, table, _) = await Lab.GetAsync("/api/v1/namespaces/default/events", "application/json;as=Table;v=v1;g=meta.k8s.io");
        Assert.Equal(["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen", "Count", "Name"],
            table!["columnDefinitions"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.Contains(table["rows"]!.AsArray(), r => (string)r!["cells"]![3]! == "pod/p");
        var lease = """{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"l1"},"spec":{"holderIdentity":"me","leaseDurationSeconds":15}}""";
        var (lc, created, _) = await Lab.PostAsync("/apis/coordination.k8s.io/v1/namespaces/default/leases", lease);
        Assert.Equal(HttpStatusCode.Created, lc);
        Assert.Equal("me", (string)created!["spec"]!["holderIdentity"]!);
    }
}
