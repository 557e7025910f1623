namespace ClydePS.Lab.Tests;

/// <summary>The Lab clock's delays: what every simulated duration (sleep, pulls, backoff) is built on.</summary>
public sealed class LabClockTests
{
    [Fact]
    public async Task A_delay_never_ends_before_its_span_of_Lab_time()
    {
        // At time scale 500, a millisecond of wall clock is half a Lab second: a timer that fires on a millisecond tick
        // would end a 5 s sleep at 4.5 s now and then. Every one of many delays must last its full span on the Lab clock.
        var clock = new LabClock(500);
        var shortest = TimeSpan.MaxValue;
        for (var i = 0; i < 200; i++)
        {
            var span = TimeSpan.FromSeconds(1 + i % 5) + TimeSpan.FromMilliseconds(137 * (i % 7));
            var before = clock.UtcNow;
            await clock.DelayAsync(span, CancellationToken.None);
            var took = clock.UtcNow - before;
            Assert.True(took >= span, $"delay {i}: asked {span.TotalSeconds} s, took {took.TotalSeconds} s of Lab time");
            if (took - span < shortest) shortest = took - span;
        }
        Assert.True(shortest >= TimeSpan.Zero);
    }

    [Fact]
    public async Task A_cancelled_delay_throws_and_a_zero_one_completes_at_once()
    {
        var clock = new LabClock(1);
        using var cts = new CancellationTokenSource();
        var pending = clock.DelayAsync(TimeSpan.FromHours(1), cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        Assert.True(clock.DelayAsync(TimeSpan.Zero, CancellationToken.None).IsCompletedSuccessfully);
        Assert.True(clock.DelayAsync(TimeSpan.FromSeconds(-1), CancellationToken.None).IsCompletedSuccessfully);
    }
}
