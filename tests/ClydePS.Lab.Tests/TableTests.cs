using System.Net;
using System.Text.Json.Nodes;

namespace ClydePS.Lab.Tests;

public sealed class TableTests(SharedLab shared) : IClassFixture<SharedLab>
{
    TestLab Lab => shared.Lab;
    const string TableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

    static List<string> Columns(JsonNode t) => t["columnDefinitions"]!.AsArray().Select(c => (string)c!["name"]!).ToList();

    [Fact]
    public async Task Node_table()
    {
        var (code, t, _) = await Lab.GetAsync("/api/v1/nodes?limit=500", TableAccept);
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("Table", (string)t!["kind"]!);
        Assert.Equal("meta.k8s.io/v1", (string)t["apiVersion"]!);
        Assert.Equal(["Name", "Status", "Roles", "Age", "Version", "Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime"], Columns(t));
        Assert.Equal(1, (int)t["columnDefinitions"]![5]!["priority"]!);
        Assert.Equal(0, (int)t["columnDefinitions"]![1]!["priority"]!);
        var row = t["rows"]![0]!;
        var cells = row["cells"]!.AsArray();
        Assert.Equal("node-000", (string)cells[0]!);
        Assert.Equal("Ready", (string)cells[1]!);
        Assert.Equal("<none>", (string)cells[2]!);
        Assert.StartsWith("v1.32.", (string)cells[4]!);
        Assert.StartsWith("10.", (string)cells[5]!);
        Assert.Equal("PartialObjectMetadata", (string)row["object"]!["kind"]!);
        Assert.Equal("node-000", (string)row["object"]!["metadata"]!["name"]!);
        Assert.NotNull(t["metadata"]!["resourceVersion"]);
    }

    [Fact]
    public async Task Table_includeObject_modes()
    {
        var (_, full, _) = await Lab.GetAsync("/api/v1/nodes?includeObject=Object", TableAccept);
        Assert.Equal("Node", (string)full!["rows"]![0]!["object"]!["kind"]!);
        Assert.NotNull(full["rows"]![0]!["object"]!["status"]);
        var (_, none, _) = await Lab.GetAsync("/api/v1/nodes?includeObject=None", TableAccept);
        Assert.Null(none!["rows"]![0]!["object"]);
    }

    [Fact]
    public async Task Node_status_cells_for_cordoned_and_not_ready()
    {
        await Lab.PostAsync("/api/v1/nodes", """{"metadata":{"name":"table-cordoned","labels":{"node-role.kubernetes.io/control-plane":""}},"spec":{"unschedulable":true},"status":{"conditions":[{"type":"Ready","status":"True"}]}}""");
        await Lab.PostAsync("/api/v1/nodes", """{"metadata":{"name":"table-lost"},"status":{"conditions":[{"type":"Ready","status":"Unknown","reason":"NodeStatusUnknown"}]}}""");
        await Lab.PostAsync("/api/v1/nodes", """{"metadata":{"name":"table-blank"}}""");
        var (_, t, _) = await Lab.GetAsync("/api/v1/nodes", TableAccept);
        var rows = t!["rows"]!.AsArray().ToDictionary(r => (string)r!["cells"]![0]!, r => r!["cells"]!.AsArray());
        Assert.Equal("Ready,SchedulingDisabled", (string)rows["table-cordoned"][1]!);
        Assert.Equal("control-plane", (string)rows["table-cordoned"][2]!);
        Assert.Equal("NotReady", (string)rows["table-lost"][1]!);
        Assert.Equal("Unknown", (string)rows["table-blank"][1]!);
    }

    [Fact]
    public async Task Pod_table()
    {
        await Lab.PostAsync("/api/v1/namespaces/default/pods", TestLab.Pod("table-pod"));
        var (code, t, _) = await Lab.GetAsync("/api/v1/namespaces/default/pods/table-pod", TableAccept);
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"], Columns(t!));
        var cells = t["rows"]![0]!["cells"]!.AsArray();
        Assert.Equal("table-pod", (string)cells[0]!);
        Assert.Equal("0/1", (string)cells[1]!);
        Assert.Equal("Pending", (string)cells[2]!);
        Assert.Equal("0", (string)cells[3]!);
        Assert.Equal("<none>", (string)cells[5]!);
        Assert.Equal("<none>", (string)cells[6]!);

        var (_, pod, _) = await Lab.GetAsync("/api/v1/namespaces/default/pods/table-pod");
        pod!["status"] = JsonNode.Parse("""{"phase":"Running","podIP":"10.1.0.5","podIPs":[{"ip":"10.1.0.5"}],"conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"c","image":"busybox:1.36","imageID":"","ready":true,"restartCount":0,"state":{"running":{"startedAt":"2024-01-01T00:00:00Z"}}}]}""");
        await Lab.PutAsync("/api/v1/namespaces/default/pods/table-pod/status", pod.ToJsonString());
        var (_, t2, _) = await Lab.GetAsync("/api/v1/namespaces/default/pods/table-pod", TableAccept);
        var c2 = t2!["rows"]![0]!["cells"]!.AsArray();
        Assert.Equal("1/1", (string)c2[1]!);
        Assert.Equal("Running", (string)c2[2]!);
        Assert.Equal("10.1.0.5", (string)c2[5]!);
    }

    [Fact]
    public async Task Namespace_table()
    {
        var (_, t, _) = await Lab.GetAsync("/api/v1/namespaces", TableAccept);
        Assert.Equal(["Name", "Status", "Age"], Columns(t!));
        Assert.Contains(t["rows"]!.AsArray(), r => (string)r!["cells"]![0]! == "default" && (string)r["cells"]![1]! == "Active");
    }

    [Fact]
    public void Human_duration_matches_apimachinery()
    {
        Assert.Equal("0s", Tables.HumanDuration.Format(TimeSpan.FromMilliseconds(-500)));
        Assert.Equal("119s", Tables.HumanDuration.Format(TimeSpan.FromSeconds(119)));
        Assert.Equal("2m", Tables.HumanDuration.Format(TimeSpan.FromSeconds(120)));
        Assert.Equal("5m30s", Tables.HumanDuration.Format(TimeSpan.FromSeconds(330)));
        Assert.Equal("45m", Tables.HumanDuration.Format(TimeSpan.FromMinutes(45)));
        Assert.Equal("3h10m", Tables.HumanDuration.Format(TimeSpan.FromMinutes(190)));
        Assert.Equal("10h", Tables.HumanDuration.Format(TimeSpan.FromHours(10)));
        Assert.Equal("3d4h", Tables.HumanDuration.Format(TimeSpan.FromHours(76)));
        Assert.Equal("30d", Tables.HumanDuration.Format(TimeSpan.FromDays(30)));
    }
}
