using System.Net;
using ClydePS.Engine.Kube;

namespace ClydePS.Engine.Tests.Kube;

public sealed class GatewayRetryTests
{
    private static HttpResponseMessage Ok() => FakeApiHandler.NodeList("10", null, "n1");

    [Fact]
    public async Task TooManyRequestsWaitsRetryAfter()
    {
        using var fx = new GatewayFixture((_, i) =>
        {
            if (i > 0)
            {
                return Ok();
            }
            var r = FakeApiHandler.Status(429, "TooManyRequests", "slow down");
            r.Headers.TryAddWithoutValidation("Retry-After", "3");
            return r;
        });

        var nodes = await fx.Gateway.ListNodesAsync(null, CancellationToken.None);

        Assert.Single(nodes);
        Assert.Equal(2, fx.Handler.Count);
        Assert.Equal([TimeSpan.FromSeconds(3)], fx.Time.Delays);
        var notice = Assert.Single(fx.Notices);
        Assert.Equal((1, "ClydeApiTooManyRequests", TimeSpan.FromSeconds(3)), (notice.FailedAttempt, notice.Error.ErrorId, notice.Delay));
        Assert.Equal("list nodes", notice.Operation);
    }

    [Fact]
    public async Task ServiceUnavailableThenOk()
    {
        using var fx = new GatewayFixture((_, i) => i == 0 ? FakeApiHandler.Status(503, "ServiceUnavailable", "etcd leader changed") : Ok());
        Assert.Single(await fx.Gateway.ListNodesAsync(null, CancellationToken.None));
        Assert.Equal(2, fx.Handler.Count);
        Assert.InRange(fx.Time.Delays.Single(), TimeSpan.Zero, TimeSpan.FromMilliseconds(250));
    }

    [Fact]
    public async Task ConnectionResetIsRetried()
    {
        using var fx = new GatewayFixture((_, i) => i < 2 ? throw FakeApiHandler.ConnectionReset() : Ok());
        Assert.Single(await fx.Gateway.ListNodesAsync(null, CancellationToken.None));
        Assert.Equal(3, fx.Handler.Count);
        Assert.All(fx.Notices, n => Assert.Equal("ClydeApiConnectionLost", n.Error.ErrorId));
    }

    [Theory]
    [InlineData(400, "BadRequest")]
    [InlineData(401, "Unauthorized")]
    [InlineData(403, "Forbidden")]
    [InlineData(404, "NotFound")]
    [InlineData(409, "Conflict")]
    [InlineData(422, "Invalid")]
    public async Task ClientErrorsAreNotRetried(int code, string reason)
    {
        using var fx = new GatewayFixture((_, _) => FakeApiHandler.Status(code, reason, "no"));
        var e = await Assert.ThrowsAsync<ClydeException>(() => fx.Gateway.ListNodesAsync(null, CancellationToken.None));
        Assert.Equal(code, e.StatusCode);
        Assert.Equal(1, fx.Handler.Count);
        Assert.Empty(fx.Notices);
        Assert.Empty(fx.Time.Delays);
    }

    [Fact]
    public async Task AttemptsAreBounded()
    {
        using var fx = new GatewayFixture((_, _) => FakeApiHandler.Status(503, "ServiceUnavailable", "still down"));

        var e = await Assert.ThrowsAsync<ClydeException>(() => fx.Gateway.ListNodesAsync(null, CancellationToken.None));

        Assert.Equal("ClydeApiUnavailable", e.ErrorId);
        Assert.Equal(6, fx.Handler.Count);
        Assert.Equal([1, 2, 3, 4, 5], fx.Notices.Select(n => n.FailedAttempt));
        Assert.Contains("Gave up after 6 attempts", e.Message);
        Assert.Contains("still down", e.Message);
        var caps = new[] { 250, 500, 1000, 2000, 4000 };
        Assert.All(fx.Time.Delays.Zip(caps), p => Assert.InRange(p.First.TotalMilliseconds, 0, p.Second));
    }

    [Fact]
    public async Task TotalTimeIsBounded()
    {
        using var fx = new GatewayFixture((_, _) =>
        {
            var r = FakeApiHandler.Status(429, "TooManyRequests", "busy");
            r.Headers.TryAddWithoutValidation("Retry-After", "20");
            return r;
        }, new RetryOptions { MaxElapsed = TimeSpan.FromSeconds(45) });

        await Assert.ThrowsAsync<ClydeException>(() => fx.Gateway.ListNodesAsync(null, CancellationToken.None));

        Assert.Equal(3, fx.Handler.Count); // waits of 20 s fit twice into 45 s
        Assert.Equal(TimeSpan.FromSeconds(40), fx.Time.Elapsed);
    }

    [Fact]
    public async Task CancellationEndsTheWaitAtOnce()
    {
        using var fx = new GatewayFixture((_, _) => FakeApiHandler.Status(503, "ServiceUnavailable", "down"));
        fx.Time.AutoAdvance = false;
        using var cts = new CancellationTokenSource();

        var call = fx.Gateway.ListNodesAsync(null, cts.Token);
        await WaitUntil(() => fx.Time.PendingTimers == 1);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, fx.Handler.Count);
        Assert.Equal(TimeSpan.Zero, fx.Time.Elapsed);
    }

    [Fact]
    public async Task ListsArePaged()
    {
        using var fx = new GatewayFixture((req, i) => i == 0
            ? FakeApiHandler.NodeList("7", "page-2", "n1", "n2")
            : FakeApiHandler.NodeList("7", null, "n3"));

        var nodes = await fx.Gateway.ListNodesAsync("pool=seeders", CancellationToken.None);

        Assert.Equal(["n1", "n2", "n3"], nodes.Select(n => n.Metadata.Name));
        Assert.Contains("limit=500", fx.Handler.Requests[0]);
        Assert.Contains("labelSelector=pool%3Dseeders", fx.Handler.Requests[0]);
        Assert.Contains("continue=page-2", fx.Handler.Requests[1]);
    }

    [Fact]
    public async Task ExpiredContinueTokenRestartsTheList()
    {
        using var fx = new GatewayFixture((req, i) => i switch
        {
            0 => FakeApiHandler.NodeList("7", "old", "n1"),
            1 => FakeApiHandler.Status(410, "Expired", "The provided continue parameter is too old"),
            _ => FakeApiHandler.NodeList("9", null, "n1", "n2"),
        });

        var nodes = await fx.Gateway.ListNodesAsync(null, CancellationToken.None);

        Assert.Equal(["n1", "n2"], nodes.Select(n => n.Metadata.Name));
        Assert.DoesNotContain("continue", fx.Handler.Requests[2]);
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached");
            await Task.Delay(5);
        }
    }
}
