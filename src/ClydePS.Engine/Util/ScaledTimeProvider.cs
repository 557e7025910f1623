namespace ClydePS.Engine.Util;

/// <summary>
/// A clock that runs <see cref="TimeScale"/> times faster than an underlying one (the system clock by default):
/// the engine's clock for a Lab started with <c>--time-scale K</c>, so intervals, windows, timeouts and reported
/// durations are Lab time. <see cref="GetUtcNow"/> starts at <c>start</c> (default: the underlying clock's now)
/// and advances K seconds per underlying second; timestamps likewise; timers fire after 1/K of their due time
/// and period on the underlying clock.
/// </summary>
public sealed class ScaledTimeProvider : TimeProvider
{
    private readonly TimeProvider _inner;
    private readonly DateTimeOffset _innerOrigin;
    private readonly DateTimeOffset _origin;
    private readonly long _originTimestamp;

    /// <param name="timeScale">Scaled seconds per underlying second, &gt; 0.</param>
    /// <param name="inner">The underlying clock (default <see cref="TimeProvider.System"/>).</param>
    /// <param name="start">What <see cref="GetUtcNow"/> says now, e.g. the Lab's current time (default: the underlying now).</param>
    public ScaledTimeProvider(double timeScale, TimeProvider? inner = null, DateTimeOffset? start = null)
    {
        if (!(timeScale > 0) || double.IsInfinity(timeScale))
        {
            throw new ArgumentOutOfRangeException(nameof(timeScale), timeScale, "time scale must be a positive number");
        }
        TimeScale = timeScale;
        _inner = inner ?? System;
        _innerOrigin = _inner.GetUtcNow();
        _origin = start ?? _innerOrigin;
        _originTimestamp = _inner.GetTimestamp();
    }

    public double TimeScale { get; }

    public override DateTimeOffset GetUtcNow() =>
        _origin + TimeSpan.FromTicks((long)((_inner.GetUtcNow() - _innerOrigin).Ticks * TimeScale));

    public override long GetTimestamp() => _originTimestamp + (long)((_inner.GetTimestamp() - _originTimestamp) * TimeScale);

    public override long TimestampFrequency => _inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => _inner.LocalTimeZone;

    /// <summary>A scaled span on the underlying clock (infinite stays infinite).</summary>
    public TimeSpan ToInner(TimeSpan scaled) =>
        scaled == Timeout.InfiniteTimeSpan || scaled <= TimeSpan.Zero ? scaled : TimeSpan.FromTicks(Math.Max(1, (long)(scaled.Ticks / TimeScale)));

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new ScaledTimer(this, _inner.CreateTimer(callback, state, ToInner(dueTime), ToInner(period)));

    private sealed class ScaledTimer(ScaledTimeProvider owner, ITimer inner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(owner.ToInner(dueTime), owner.ToInner(period));

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
