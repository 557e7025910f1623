using ClydePS.Engine.Rollout;
using ClydePS.Engine.Snapshot;
using k8s.Models;
using Xunit;

namespace ClydePS.Engine.Tests.Snapshot;

public class SnapshotAgentTests : IClassFixture<HostRootFixture>
{
    private readonly HostRootFixture host;

    public SnapshotAgentTests(HostRootFixture host) => this.host = host;

    private static SnapshotAgentOptions Options(bool privileged = false, bool cleanup = false) => new()
    {
        Namespace = "gpu-operator",
        Image = SnapshotAgentPod.DefaultImage("1.2.3"),
        RunId = "abc123",
        NodeSelector = new Dictionary<string, string> { ["pool"] = "gpu" },
        Tolerations = [TolerationSpec.Parse("nvidia.com/gpu=present:NoSchedule"), TolerationSpec.Parse("dedicated:NoExecute")],
        Timeout = TimeSpan.FromMinutes(2),
        ImagePullSecrets = ["regcred"],
        ImagePullPolicy = "Always",
        Privileged = privileged,
        CleanupRbac = cleanup,
    };

    [Fact]
    public void The_default_image_is_the_published_agent_of_the_module_version()
    {
        Assert.Equal("ghcr.io/clydeps/clydeps-snapshot-agent:1.2.3", SnapshotAgentPod.DefaultImage("1.2.3"));
    }

    [Fact]
    public void The_job_is_unique_per_run_labelled_for_leftovers_and_unprivileged_by_default()
    {
        var o = Options();
        var job = SnapshotAgentPod.Job(o);
        Assert.Equal("clydeps-snapshot-abc123", job.Metadata.Name);
        Assert.Equal("agent", job.Metadata.Labels["clydeps.io/role"]);
        Assert.Equal("abc123", job.Metadata.Labels["clydeps.io/run"]);
        Assert.Equal("ClydePS", job.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Equal(0, job.Spec.BackoffLimit);
        Assert.Equal(3600, job.Spec.TtlSecondsAfterFinished);
        Assert.Equal(120 + 300, job.Spec.ActiveDeadlineSeconds);
        Assert.Equal("agent", job.Spec.Template.Metadata.Labels["clydeps.io/role"]);

        var spec = job.Spec.Template.Spec;
        Assert.Equal("Never", spec.RestartPolicy);
        Assert.Equal("clydeps-snapshot", spec.ServiceAccountName);
        Assert.Equal("gpu", spec.NodeSelector["pool"]);
        Assert.Equal(["Equal", "Exists"], spec.Tolerations.Select(t => t.OperatorProperty));
        Assert.Equal("regcred", Assert.Single(spec.ImagePullSecrets).Name);
        Assert.Null(spec.HostPID);
        Assert.True(spec.SecurityContext.RunAsNonRoot);

        var c = Assert.Single(spec.Containers);
        Assert.Equal(SnapshotAgentPod.Command, c.Command);
        Assert.Equal(["-Output", "cm://gpu-operator/clydeps-snapshot-abc123", "-HostRoot", "/host", "-Format", "json"], c.Args);
        Assert.Equal("Always", c.ImagePullPolicy);
        Assert.Equal("spec.nodeName", c.Env.Single(e => e.Name == "NODE_NAME").ValueFrom.FieldRef.FieldPath);
        Assert.False(c.SecurityContext.Privileged);
        Assert.True(c.SecurityContext.ReadOnlyRootFilesystem);
        Assert.False(c.SecurityContext.AllowPrivilegeEscalation);
        Assert.Equal(["ALL"], c.SecurityContext.Capabilities.Drop);
        Assert.True(c.VolumeMounts.Single(m => m.MountPath == "/host").ReadOnlyProperty);
        Assert.Equal("/", spec.Volumes.Single(v => v.Name == "host").HostPath.Path);
        Assert.Equal("100m", c.Resources.Requests["cpu"].ToString());
        Assert.Equal("1Gi", c.Resources.Limits["memory"].ToString());
    }

    [Fact]
    public void A_privileged_job_uses_the_host_namespaces_and_keeps_the_host_mount_read_only()
    {
        var spec = SnapshotAgentPod.Job(Options(privileged: true)).Spec.Template.Spec;
        Assert.True(spec.HostPID);
        Assert.True(spec.HostNetwork);
        Assert.True(spec.HostIPC);
        Assert.True(spec.Containers[0].SecurityContext.Privileged);
        Assert.True(spec.Containers[0].VolumeMounts.Single(m => m.MountPath == "/host").ReadOnlyProperty);
    }

    [Fact]
    public void The_rbac_is_named_after_the_service_account_and_namespace()
    {
        var o = Options();
        Assert.Equal("clydeps-snapshot-gpu-operator-node-reader", SnapshotAgentPod.ClusterRole(o).Metadata.Name);
        var crb = SnapshotAgentPod.ClusterRoleBinding(o);
        Assert.Equal("clydeps-snapshot-gpu-operator-node-reader", crb.RoleRef.Name);
        Assert.Equal("gpu-operator", Assert.Single(crb.Subjects).NamespaceProperty);
        Assert.Contains(SnapshotAgentPod.AgentRole(o).Rules, r => r.Resources.Contains("configmaps") && r.Verbs.Contains("update"));
        var handBack = SnapshotAgentPod.HandBack(o);
        Assert.Equal("clydeps-snapshot-abc123", handBack.Metadata.Name);
        Assert.Equal("agent", handBack.Metadata.Labels["clydeps.io/role"]);
    }

    [Fact]
    public void The_permissions_cover_what_the_run_does_and_what_the_roles_grant()
    {
        var needed = SnapshotAgentPod.RequiredPermissions(Options()).Select(p => p.ToString()).ToList();
        Assert.Contains("create batch/jobs in namespace gpu-operator", needed);
        Assert.Contains("get pods/log in namespace gpu-operator", needed);
        Assert.Contains("update rbac.authorization.k8s.io/clusterroles (cluster-wide)", needed);
        Assert.Contains("list nodes (cluster-wide)", needed);
        Assert.DoesNotContain("delete serviceaccounts in namespace gpu-operator", needed);
        Assert.Equal(needed.Count, needed.Distinct().Count());

        var withCleanup = SnapshotAgentPod.RequiredPermissions(Options(cleanup: true) with { OutputConfigMapNamespace = "reports" }).Select(p => p.ToString()).ToList();
        Assert.Contains("delete serviceaccounts in namespace gpu-operator", withCleanup);
        Assert.Contains("delete rbac.authorization.k8s.io/clusterrolebindings (cluster-wide)", withCleanup);
        Assert.Contains("update configmaps in namespace reports", withCleanup);
    }

    [Theory]
    [InlineData("JobName", "Bad_Name", SnapshotAgentErrorIds.InvalidName)]
    [InlineData("Namespace", "-x", SnapshotAgentErrorIds.InvalidName)]
    [InlineData("MemoryRequest", "lots", SnapshotAgentErrorIds.InvalidResource)]
    [InlineData("CpuLimit", "-1", SnapshotAgentErrorIds.InvalidResource)]
    [InlineData("Image", "UPPER CASE", "ClydeInvalidImageReference")]
    public void Bad_options_are_rejected(string field, string value, string errorId)
    {
        var o = field switch
        {
            "JobName" => Options() with { JobName = value },
            "Namespace" => Options() with { Namespace = value },
            "MemoryRequest" => Options() with { MemoryRequest = value },
            "CpuLimit" => Options() with { CpuLimit = value },
            _ => Options() with { Image = value },
        };
        var e = Assert.Throws<ClydeException>(() => SnapshotAgentPod.Validate(o));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(ClydeErrorKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void Good_options_pass()
    {
        SnapshotAgentPod.Validate(Options() with { CpuLimit = "1500m", MemoryRequest = "0.5Gi" });
    }

    [Fact]
    public void The_json_document_reads_back_into_the_same_snapshot()
    {
        var s = SnapshotCollector.Collect(new SnapshotOptions { HostRoot = host.Root, ModuleVersion = "1.2.3", GetEnvironment = _ => null, RunProgram = (_, _) => null });
        var back = SnapshotDocument.FromJson(SnapshotDocument.ToJson(s));
        Assert.Equal(s.SourceNode, back.SourceNode);
        Assert.Equal(s.ModuleVersion, back.ModuleVersion);
        Assert.Equal(s.OperatingSystem, back.OperatingSystem);
        Assert.Equal(s.RegistryMirrors, back.RegistryMirrors);
        Assert.Equal(s.Errors, back.Errors);
        Assert.Equal(s.Measurements.Select(m => m.Type), back.Measurements.Select(m => m.Type));
        Assert.Equal(new DateTimeOffset(s.Timestamp.UtcDateTime.Ticks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero), back.Timestamp);
        Assert.Equal(SnapshotDocument.ToYaml(s), SnapshotDocument.ToYaml(back));
        Assert.Throws<FormatException>(() => SnapshotDocument.FromJson("{\"kind\":\"Other\"}"));
        Assert.Throws<FormatException>(() => SnapshotDocument.FromJson("not json"));
    }

    [Fact]
    public void The_pod_reason_says_how_the_agent_ended_or_why_it_waits()
    {
        V1Pod Pod(V1ContainerState state) => new()
        {
            Metadata = new V1ObjectMeta { Name = "p" },
            Status = new V1PodStatus { ContainerStatuses = [new V1ContainerStatus { Name = "agent", State = state }] },
        };
        Assert.Equal("container agent terminated, reason Error, exit code 3",
            SnapshotAgentRunner.PodReason(Pod(new V1ContainerState { Terminated = new V1ContainerStateTerminated { Reason = "Error", ExitCode = 3 } })));
        Assert.Equal("container agent waiting, reason ImagePullBackOff (Back-off pulling image \"x\")",
            SnapshotAgentRunner.PodReason(Pod(new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ImagePullBackOff", Message = "Back-off pulling image \"x\"" } })));
        var unscheduled = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p" },
            Status = new V1PodStatus
            {
                Phase = "Pending",
                Conditions = [new V1PodCondition { Type = "PodScheduled", Status = "False", Reason = "Unschedulable", Message = "0/2 nodes are available" }],
            },
        };
        Assert.Equal("not scheduled, reason Unschedulable (0/2 nodes are available)", SnapshotAgentRunner.PodReason(unscheduled));
    }
}
