namespace ClydePS.Engine.Tests.Kube;

/// <summary>
/// Virtual time. With <see cref="AutoAdvance"/> every timer jumps the clock to its due time and fires at once, so
/// retries run instantly and <see cref="Delays"/> records each wait; without it, timers wait for <see cref="Advance"/>.
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private static readonly DateTimeOffset Epoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly object _gate = new();
    private readonly List<FakeTimer> _pending = [];
    private long _ticks;

    public bool AutoAdvance { get; set; } = true;

    public List<TimeSpan> Delays { get; } = [];

    public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

    public int PendingTimers
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    public override DateTimeOffset GetUtcNow() => Epoch + Elapsed;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new FakeTimer(this, callback, state);
        if (dueTime == Timeout.InfiniteTimeSpan)
        {
            return timer;
        }
        lock (_gate)
        {
            Delays.Add(dueTime);
        }
        if (AutoAdvance)
        {
            Interlocked.Add(ref _ticks, dueTime.Ticks);
            ThreadPool.QueueUserWorkItem(_ => timer.Fire());
        }
        else
        {
            timer.DueTicks = GetTimestamp() + dueTime.Ticks;
            lock (_gate)
            {
                _pending.Add(timer);
            }
        }
        return timer;
    }

    public void Advance(TimeSpan by)
    {
        Interlocked.Add(ref _ticks, by.Ticks);
        List<FakeTimer> due;
        lock (_gate)
        {
            due = _pending.Where(t => t.DueTicks <= _ticks).ToList();
            _pending.RemoveAll(due.Contains);
        }
        foreach (var timer in due)
        {
            timer.Fire();
        }
    }

    private void Remove(FakeTimer timer)
    {
        lock (_gate)
        {
            _pending.Remove(timer);
        }
    }

    private sealed class FakeTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private int _disposed;

        public long DueTicks { get; set; }

        public void Fire()
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                callback(state);
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period) => throw new NotSupportedException("not used by Task.Delay");

        public void Dispose()
        {
            Interlocked.Exchange(ref _disposed, 1);
            owner.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
