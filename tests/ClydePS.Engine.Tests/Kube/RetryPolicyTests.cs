using ClydePS.Engine.Kube;

namespace ClydePS.Engine.Tests.Kube;

public sealed class RetryPolicyTests
{
    private static ClydeException Transient(TimeSpan? retryAfter = null) =>
        new(ClydeErrorKind.Unavailable, "ClydeApiUnavailable", "down") { IsTransient = true, StatusCode = 503, RetryAfter = retryAfter };

    [Fact]
    public void BackoffIsBoundedJitteredAndReproducible()
    {
        var options = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1) };
        var a = new RetryPolicy(options, new ManualTimeProvider(), new Random(42));
        var b = new RetryPolicy(options, new ManualTimeProvider(), new Random(42));

        var delays = Enumerable.Range(1, 40).Select(n => a.Backoff((n % 8) + 1)).ToList();
        var again = Enumerable.Range(1, 40).Select(n => b.Backoff((n % 8) + 1)).ToList();

        Assert.Equal(delays, again);
        for (var i = 0; i < delays.Count; i++)
        {
            var attempt = ((i + 1) % 8) + 1;
            var cap = Math.Min(1000, 100 * Math.Pow(2, attempt - 1));
            Assert.InRange(delays[i].TotalMilliseconds, 0, cap);
        }
        Assert.True(delays.Distinct().Count() > 30, "full jitter spreads the waits");
    }

    [Fact]
    public void RetryAfterIsHonouredAndCapped()
    {
        var policy = new RetryPolicy(new RetryOptions { MaxRetryAfter = TimeSpan.FromSeconds(10) }, new ManualTimeProvider(), new Random(1));
        Assert.Equal(TimeSpan.FromSeconds(3), policy.DelayBeforeRetry(1, Transient(TimeSpan.FromSeconds(3)), TimeSpan.Zero));
        Assert.Equal(TimeSpan.FromSeconds(10), policy.DelayBeforeRetry(1, Transient(TimeSpan.FromMinutes(5)), TimeSpan.Zero));
    }

    [Fact]
    public void StopsAtMaxAttemptsMaxElapsedAndForNonTransientErrors()
    {
        var policy = new RetryPolicy(new RetryOptions { MaxAttempts = 3, MaxElapsed = TimeSpan.FromSeconds(20) }, new ManualTimeProvider(), new Random(1));
        Assert.NotNull(policy.DelayBeforeRetry(2, Transient(), TimeSpan.Zero));
        Assert.Null(policy.DelayBeforeRetry(3, Transient(), TimeSpan.Zero));
        Assert.Null(policy.DelayBeforeRetry(1, Transient(TimeSpan.FromSeconds(5)), TimeSpan.FromSeconds(16)));
        Assert.Null(policy.DelayBeforeRetry(1, new ClydeException(ClydeErrorKind.NotFound, "ClydeApiNotFound", "gone") { StatusCode = 404 }, TimeSpan.Zero));
    }
}
