using ClydePS.Engine.Registry;

namespace ClydePS.Engine.Tests.Registry;

public class ClusterPlatformTests
{
    static ClydeNode Node(string name, string arch, bool ready = true, string os = "linux") =>
        new() { Name = name, Architecture = arch, OperatingSystem = os, Ready = ready, Schedulable = true };

    [Fact]
    public void The_most_common_platform_of_eligible_nodes_wins()
    {
        var nodes = new[] { Node("a", "arm64"), Node("b", "arm64"), Node("c", "amd64"), Node("d", "amd64", ready: false), Node("e", "amd64", ready: false) };
        Assert.Equal("arm64", ClusterPlatform.Choose(nodes).Architecture);
    }

    [Fact]
    public void Ties_are_broken_by_name_and_an_empty_cluster_is_linux_amd64()
    {
        Assert.Equal("amd64", ClusterPlatform.Choose([Node("a", "arm64"), Node("b", "amd64")]).Architecture);
        Assert.Equal(Platform.LinuxAmd64, ClusterPlatform.Choose([]));
    }

    [Fact]
    public void With_no_eligible_node_all_nodes_decide()
    {
        Assert.Equal("arm64", ClusterPlatform.Choose([Node("a", "arm64", ready: false)]).Architecture);
    }
}
