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

    private static Task WaitNodesGone(ClusterGateway gateway, List<int> remaining, CancellationToken ct) =>
        gateway.WaitUntilGoneAsync<k8s.Models.V1Node, k8s.Models.V1NodeList>("watch nodes", null,
            (c, r, t) => c.CoreV1.ListNodeWithHttpMessagesAsync(continueParameter: r.Continue, limit: r.Limit, watch: r.Watch,
                resourceVersion: r.ResourceVersion, allowWatchBookmarks: r.AllowWatchBookmarks, timeoutSeconds: r.TimeoutSeconds, cancellationToken: t),
            remaining.Add, ct);

    [Fact]
    public async Task WaitUntilGoneReturnsWhenTheLastObjectIsDeletedAcrossADrop()
    {
        using var fx = new GatewayFixture((req, i) => i switch
        {
            0 => FakeApiHandler.List("NodeList", "2", null, ("n1", "1"), ("n2", "1")),
            1 => FakeApiHandler.Stream(dropAtEnd: true, FakeApiHandler.Event("DELETED", "n1", "3")),
            2 => FakeApiHandler.Stream(dropAtEnd: false, FakeApiHandler.Event("DELETED", "n2", "4")),
            _ => throw new InvalidOperationException("no more requests expected"),
        });
        var remaining = new List<int>();

        await WaitNodesGone(fx.Gateway, remaining, new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);

        Assert.Equal([1, 2, 1, 0], remaining);
        Assert.Equal(3, fx.Handler.Count);
        Assert.Contains("resourceVersion=3", fx.Handler.Requests[2]); // resumed after the drop, not relisted
    }

    [Fact]
    public async Task WaitUntilGoneReturnsAtOnceOnAnEmptyListAndTimesOutWhileObjectsStay()
    {
        using (var empty = new GatewayFixture((req, i) => i == 0
            ? FakeApiHandler.List("NodeList", "2", null)
            : throw new InvalidOperationException("no watch expected after an empty list")))
        {
            var remaining = new List<int>();
            await WaitNodesGone(empty.Gateway, remaining, CancellationToken.None);
            Assert.Empty(remaining);
            Assert.Equal(1, empty.Handler.Count);
        }

        using var stays = new GatewayFixture((req, i) => i == 0
            ? FakeApiHandler.List("NodeList", "2", null, ("n1", "1"))
            : FakeApiHandler.Stream(dropAtEnd: false, FakeApiHandler.Bookmark("3")));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => WaitNodesGone(stays.Gateway, [], cts.Token));
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
