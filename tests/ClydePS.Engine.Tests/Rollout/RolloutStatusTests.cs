using ClydePS.Engine.Rollout;
using k8s.Models;

namespace ClydePS.Engine.Tests.Rollout;

/// <summary>Completion tables mirroring kubectl's rollout_status_test.go and `kubectl wait --for=condition=complete`.</summary>
public class RolloutStatusTests
{
    static V1DaemonSet Ds(long generation, long observed, int updated, int available, int desired, string strategy = "RollingUpdate") => new()
    {
        Metadata = new V1ObjectMeta { Name = "foo", Generation = generation },
        Spec = new V1DaemonSetSpec { UpdateStrategy = new V1DaemonSetUpdateStrategy { Type = strategy } },
        Status = new V1DaemonSetStatus
        {
            ObservedGeneration = observed,
            UpdatedNumberScheduled = updated,
            NumberAvailable = available,
            DesiredNumberScheduled = desired,
            NumberReady = available,
        },
    };

    [Theory]
    [InlineData(0, 0, 0, 0, 1, false, "Waiting for daemon set \"foo\" rollout to finish: 0 out of 1 new pods have been updated...")]
    [InlineData(1, 1, 1, 0, 2, false, "Waiting for daemon set \"foo\" rollout to finish: 1 out of 2 new pods have been updated...")]
    [InlineData(1, 2, 2, 1, 2, false, "Waiting for daemon set \"foo\" rollout to finish: 1 of 2 updated pods are available...")]
    [InlineData(1, 2, 2, 2, 2, true, "daemon set \"foo\" successfully rolled out")]
    [InlineData(2, 2, 2, 2, 2, true, "daemon set \"foo\" successfully rolled out")]
    [InlineData(2, 1, 2, 2, 2, false, "Waiting for daemon set spec update to be observed...")]
    [InlineData(1, 1, 0, 0, 0, true, "daemon set \"foo\" successfully rolled out")]
    public void DaemonSetCompletesAsKubectlSays(long generation, long observed, int updated, int available, int desired, bool done, string message)
    {
        var s = RolloutStatusViewer.DaemonSet(Ds(generation, observed, updated, available, desired));
        Assert.Equal(done, s.Done);
        Assert.Equal(message, s.Message);
        Assert.Equal(desired, s.Desired);
        Assert.Equal(updated, s.Updated);
        Assert.Equal(available, s.Available);
        Assert.Null(s.Failure);
    }

    [Fact]
    public void DaemonSetWithOnDeleteIsDoneAtOnceWithAMessage()
    {
        var s = RolloutStatusViewer.DaemonSet(Ds(3, 1, 0, 0, 5, "OnDelete"));
        Assert.True(s.Done);
        Assert.Contains("OnDelete", s.Message);
    }

    [Fact]
    public void DaemonSetWithoutStatusWaits()
    {
        var s = RolloutStatusViewer.DaemonSet(new V1DaemonSet { Metadata = new V1ObjectMeta { Name = "x", Generation = 1 } });
        Assert.False(s.Done);
        Assert.Equal("Waiting for daemon set spec update to be observed...", s.Message);
    }

    static V1StatefulSet Sts(long generation, long observed, int? replicas, int ready, int updated, int? partition, string current = "r1", string update = "r1",
        bool rollingUpdate = true, string strategy = "RollingUpdate") => new()
    {
        Metadata = new V1ObjectMeta { Name = "foo", Generation = generation },
        Spec = new V1StatefulSetSpec
        {
            Replicas = replicas,
            UpdateStrategy = new V1StatefulSetUpdateStrategy
            {
                Type = strategy,
                RollingUpdate = rollingUpdate ? new V1RollingUpdateStatefulSetStrategy { Partition = partition } : null,
            },
        },
        Status = new V1StatefulSetStatus
        {
            ObservedGeneration = observed,
            ReadyReplicas = ready,
            UpdatedReplicas = updated,
            CurrentReplicas = ready,
            CurrentRevision = current,
            UpdateRevision = update,
            Replicas = replicas ?? 1,
        },
    };

    public static TheoryData<V1StatefulSet, bool, string> StatefulSetCases => new()
    {
        { Sts(1, 0, 3, 0, 0, 0), false, "Waiting for statefulset spec update to be observed..." },
        { Sts(2, 1, 3, 3, 3, 0), false, "Waiting for statefulset spec update to be observed..." },
        { Sts(1, 1, 3, 1, 1, 0), false, "Waiting for 2 pods to be ready..." },
        { Sts(1, 1, 3, 3, 1, 1), false, "Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated..." },
        { Sts(1, 1, 3, 3, 2, 1), true, "partitioned roll out complete: 2 new pods have been updated..." },
        { Sts(1, 1, 3, 3, 3, 0), true, "partitioned roll out complete: 3 new pods have been updated..." },
        // Without a rollingUpdate block (not defaulted), the revisions decide.
        { Sts(1, 1, 3, 3, 1, null, "r1", "r2", rollingUpdate: false), false, "waiting for statefulset rolling update to complete 1 pods at revision r2..." },
        { Sts(1, 1, 3, 3, 3, null, "r2", "r2", rollingUpdate: false), true, "statefulset rolling update complete 3 pods at revision r2..." },
    };

    [Theory]
    [MemberData(nameof(StatefulSetCases))]
    public void StatefulSetCompletesAsKubectlSays(V1StatefulSet sts, bool done, string message)
    {
        var s = RolloutStatusViewer.StatefulSet(sts);
        Assert.Equal(done, s.Done);
        Assert.Equal(message, s.Message);
    }

    [Fact]
    public void StatefulSetWithOnDeleteIsDoneAtOnce()
    {
        var s = RolloutStatusViewer.StatefulSet(Sts(2, 1, 3, 0, 0, null, strategy: "OnDelete", rollingUpdate: false));
        Assert.True(s.Done);
        Assert.Contains("OnDelete", s.Message);
    }

    static V1Job Job(params (string Type, string Status, string? Reason)[] conditions) => new()
    {
        Metadata = new V1ObjectMeta { Name = "x" },
        Spec = new V1JobSpec { Completions = 2 },
        Status = new V1JobStatus
        {
            Succeeded = 1,
            Active = 1,
            Conditions = conditions.Select(c => new V1JobCondition { Type = c.Type, Status = c.Status, Reason = c.Reason, Message = c.Reason is null ? null : "details" }).ToList(),
        },
    };

    [Fact]
    public void JobCompletesOnlyWithConditionCompleteTrue()
    {
        Assert.False(RolloutStatusViewer.Job(Job()).Done);
        Assert.False(RolloutStatusViewer.Job(Job(("SuccessCriteriaMet", "True", null))).Done);
        Assert.False(RolloutStatusViewer.Job(Job(("Complete", "False", null))).Done);
        var done = RolloutStatusViewer.Job(Job(("SuccessCriteriaMet", "True", null), ("Complete", "True", null)));
        Assert.True(done.Done);
        Assert.Equal("job.batch/x condition met", done.Message);
        Assert.Equal(2, done.Desired);
        Assert.Equal(1, done.Updated);
    }

    [Fact]
    public void FailedJobEndsWithItsReason()
    {
        var s = RolloutStatusViewer.Job(Job(("FailureTarget", "True", "BackoffLimitExceeded"), ("Failed", "True", "BackoffLimitExceeded")));
        Assert.False(s.Done);
        Assert.Equal("BackoffLimitExceeded: details", s.Failure);
        Assert.Null(RolloutStatusViewer.Job(Job(("Failed", "False", "x"))).Failure);
    }

    [Fact]
    public void SelectorStringCoversEveryOperator()
    {
        var sel = new V1LabelSelector
        {
            MatchLabels = new Dictionary<string, string> { ["app"] = "a" },
            MatchExpressions =
            [
                new V1LabelSelectorRequirement { Key = "tier", OperatorProperty = "In", Values = ["x", "y"] },
                new V1LabelSelectorRequirement { Key = "env", OperatorProperty = "NotIn", Values = ["prod"] },
                new V1LabelSelectorRequirement { Key = "k", OperatorProperty = "Exists" },
                new V1LabelSelectorRequirement { Key = "gone", OperatorProperty = "DoesNotExist" },
            ],
        };
        Assert.Equal("app=a,tier in (x,y),env notin (prod),k,!gone", RolloutWaiter.ToSelectorString(sel));
        Assert.Null(RolloutWaiter.ToSelectorString(new V1LabelSelector()));
    }

    [Fact]
    public void PodReasonsNameWaitingReasonsAndPlacement()
    {
        var pulling = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p" },
            Status = new V1PodStatus
            {
                Phase = "Pending",
                ContainerStatuses = [new V1ContainerStatus { Name = "c", State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ImagePullBackOff", Message = "Back-off pulling image \"x\"" } } }],
            },
        };
        Assert.Equal("ImagePullBackOff (Back-off pulling image \"x\")", RolloutWaiter.PodReason(RolloutKind.DaemonSet, pulling));
        var unscheduled = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p" },
            Status = new V1PodStatus { Phase = "Pending", Conditions = [new V1PodCondition { Type = "PodScheduled", Status = "False", Reason = "Unschedulable", Message = "0/3 nodes are available" }] },
        };
        Assert.Equal("Unschedulable (0/3 nodes are available)", RolloutWaiter.PodReason(RolloutKind.StatefulSet, unscheduled));
        var ready = new V1Pod { Metadata = new V1ObjectMeta { Name = "p" }, Status = new V1PodStatus { Phase = "Running", Conditions = [new V1PodCondition { Type = "Ready", Status = "True" }] } };
        Assert.Null(RolloutWaiter.PodReason(RolloutKind.DaemonSet, ready));
        Assert.Equal("Running, not finished", RolloutWaiter.PodReason(RolloutKind.Job, ready));
        Assert.Null(RolloutWaiter.PodReason(RolloutKind.Job, new V1Pod { Metadata = new V1ObjectMeta { Name = "j" }, Status = new V1PodStatus { Phase = "Succeeded" } }));
    }
}
