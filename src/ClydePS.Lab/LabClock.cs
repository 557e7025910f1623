using System.Diagnostics;

namespace ClydePS.Lab;

/// <summary>
/// The Lab's clock: runs <see cref="TimeScale"/> times faster than the wall clock from the Lab's start.
/// Every timestamp the Lab writes comes from here.
/// </summary>
public sealed class LabClock
{
    readonly DateTime _start;
    readonly Stopwatch _elapsed = Stopwatch.StartNew();

    public double TimeScale { get; }

    public LabClock(double timeScale, DateTime? start = null)
    {
        TimeScale = timeScale;
        _start = start ?? DateTime.UtcNow;
    }

    public DateTime UtcNow => _start + TimeSpan.FromTicks((long)(_elapsed.Elapsed.Ticks * TimeScale));

    /// <summary>Now, truncated to whole seconds (metav1.Time precision).</summary>
    public DateTime UtcNowSeconds
    {
        get
        {
            var n = UtcNow;
            return new DateTime(n.Ticks - n.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        }
    }

    /// <summary>Converts a Lab-time span to the wall-clock span it takes.</summary>
    public TimeSpan ToWall(TimeSpan labTime) => TimeSpan.FromTicks((long)(labTime.Ticks / TimeScale));

    /// <summary>
    /// Waits for a span of Lab time (every simulated duration goes through here), and never returns early: .NET timers
    /// fire on a millisecond tick, so a wall-clock delay can end up to a millisecond short of what was asked, which is
    /// half a Lab second at time scale 500. A <c>sleep 5</c> must last at least 5 Lab seconds on the Lab's own clock.
    /// </summary>
    public Task DelayAsync(TimeSpan labTime, CancellationToken cancellationToken) =>
        labTime <= TimeSpan.Zero ? Task.CompletedTask : DelayUntilAsync(_elapsed.Elapsed + ToWall(labTime), cancellationToken);

    async Task DelayUntilAsync(TimeSpan wallTarget, CancellationToken cancellationToken)
    {
        for (var left = wallTarget - _elapsed.Elapsed; left > TimeSpan.Zero; left = wallTarget - _elapsed.Elapsed)
            await Task.Delay(left < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : left, cancellationToken).ConfigureAwait(false);
    }
}
