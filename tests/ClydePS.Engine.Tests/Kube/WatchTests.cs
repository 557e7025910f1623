using ClydePS.Engine.Kube;
using k8s;

namespace ClydePS.Engine.Tests.Kube;

public sealed class WatchTests
{
    private static async Task<List<(WatchEventType, string, string)>> Take(ClusterGateway gateway, int count)
    {
        var seen = new List<(WatchEventType, string, string)>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await foreach (var (type, node) in gateway.WatchNodesAsync(null, cts.Token))
        {
            seen.Add((type, node.Metadata.Name, node.Metadata.ResourceVersion));
            if (seen.Count == count)
            {
                break;
            }
        }
        return seen;
    }

    [Fact]
    public async Task ResumesAfterADropAndRelistsOnExpired()
    {
        using var fx = new GatewayFixture((req, i) => i switch
        {
            0 => FakeApiHandler.List("NodeList", "2", null, ("n1", "1"), ("n2", "1")),
            1 => FakeApiHandler.Stream(dropAtEnd: true,
                FakeApiHandler.Event("MODIFIED", "n1", "3"),
                FakeApiHandler.Bookmark("4")),
            2 => FakeApiHandler.Stream(dropAtEnd: false,
                FakeApiHandler.Event("ADDED", "n3", "5"),
                FakeApiHandler.Expired()),
            3 => FakeApiHandler.List("NodeList", "7", null, ("n1", "3"), ("n3", "6"), ("n4", "6")),
            _ => throw new InvalidOperationException("no more requests expected"),
        });

        var events = await Take(fx.Gateway, 7);

        Assert.Equal(
        [
            (WatchEventType.Added, "n1", "1"),
            (WatchEventType.Added, "n2", "1"),
            (WatchEventType.Modified, "n1", "3"),
            (WatchEventType.Added, "n3", "5"),
            (WatchEventType.Deleted, "n2", "1"),   // gone while the watch was expired: synthetic
            (WatchEventType.Modified, "n3", "6"),  // changed meanwhile: synthetic
            (WatchEventType.Added, "n4", "6"),     // created meanwhile: synthetic
        ], events);

        var requests = fx.Handler.Requests;
        Assert.DoesNotContain("watch=true", requests[0]);
        Assert.Contains("watch=true", requests[1]);
        Assert.Contains("resourceVersion=2", requests[1]);
        Assert.Contains("allowWatchBookmarks=true", requests[1]);
        Assert.Contains("resourceVersion=4", requests[2]); // resumed from the bookmark after the drop
        Assert.DoesNotContain("watch=true", requests[3]);  // relist after 410
        var notice = Assert.Single(fx.Notices);          // the drop was a retry
        Assert.Equal("ClydeApiConnectionLost", notice.Error.ErrorId);
    }

    [Fact]
    public async Task WatchThatCannotStartIsRetriedThenFails()
    {
        using var fx = new GatewayFixture((req, i) => i == 0
            ? FakeApiHandler.List("NodeList", "2", null, ("n1", "1"))
            : FakeApiHandler.Status(403, "Forbidden", "cannot watch nodes"));

        var e = await Assert.ThrowsAsync<ClydeException>(() => Take(fx.Gateway, 5));

        Assert.Equal("ClydeApiForbidden", e.ErrorId);
        Assert.Equal(2, fx.Handler.Count);
    }

    [Fact]
    public async Task ExpiredWatchRequestRelists()
    {
        using var fx = new GatewayFixture((req, i) => i switch
        {
            0 => FakeApiHandler.List("NodeList", "2", null, ("n1", "1")),
            1 => FakeApiHandler.Status(410, "Expired", "too old resource version"),
            2 => FakeApiHandler.List("NodeList", "9", null, ("n1", "1"), ("n2", "8")),
            _ => FakeApiHandler.Stream(dropAtEnd: false, FakeApiHandler.Event("DELETED", "n1", "10")),
        });

        var events = await Take(fx.Gateway, 3);

        Assert.Equal([(WatchEventType.Added, "n1", "1"), (WatchEventType.Added, "n2", "8"), (WatchEventType.Deleted, "n1", "10")], events);
        Assert.Contains("resourceVersion=9", fx.Handler.Requests[3]);
    }
}
