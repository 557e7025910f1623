namespace ClydePS.Engine.Transfer;

/// <summary>
/// Runs a <see cref="TransferNetwork"/> against a real clock: model time = the clock's seconds (e.g. the Lab's
/// clock, which runs <c>timeScale</c> times faster than the wall). A background loop advances the model to
/// each next event as it comes due, so pull and stream completions fire on time; every access goes through
/// <see cref="Run{T}"/>, which first brings the model to now and serialises callers.
/// </summary>
public sealed class RealTimeTransferDriver : IAsyncDisposable, IDisposable
{
    readonly Func<double> _now;
    readonly double _timeScale;
    readonly object _gate = new();
    readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;

    /// <param name="network">The model (its time must start at or below <paramref name="modelNow"/>()).</param>
    /// <param name="modelNow">Current model time in seconds (e.g. Lab-time seconds since the Lab started).</param>
    /// <param name="timeScale">Model seconds per wall second (to turn waits into wall time).</param>
    public RealTimeTransferDriver(TransferNetwork network, Func<double> modelNow, double timeScale = 1)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(modelNow);
        if (!(timeScale > 0)) throw new ArgumentOutOfRangeException(nameof(timeScale));
        Network = network;
        _now = modelNow;
        _timeScale = timeScale;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>A model clock that runs <paramref name="timeScale"/> times faster than <paramref name="wallClock"/> from now, in seconds.</summary>
    public static Func<double> ScaledClock(double timeScale, TimeProvider? wallClock = null)
    {
        var wall = wallClock ?? TimeProvider.System;
        var start = wall.GetTimestamp();
        return () => wall.GetElapsedTime(start).TotalSeconds * timeScale;
    }

    public TransferNetwork Network { get; }

    /// <summary>Called under the lock before each advance of the background loop (at least once a wall second),
    /// e.g. to apply changed conditions such as a registry slowdown.</summary>
    public Action<TransferNetwork>? BeforeAdvance { get; set; }

    /// <summary>Model time now.</summary>
    public double Now => _now();

    /// <summary>Brings the model to now, runs <paramref name="action"/> under the driver's lock, and reschedules the loop.</summary>
    public T Run<T>(Func<TransferNetwork, T> action)
    {
        T result;
        lock (_gate)
        {
            Network.AdvanceTo(_now());
            result = action(Network);
        }
        _wake.Release();
        return result;
    }

    public void Run(Action<TransferNetwork> action) => Run(n => { action(n); return true; });

    async Task LoopAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            double? next;
            double now;
            lock (_gate)
            {
                BeforeAdvance?.Invoke(Network);
                now = _now();
                Network.AdvanceTo(now);
                next = Network.NextEventTime;
            }
            var wait = next is double t
                ? TimeSpan.FromSeconds(Math.Clamp((t - now) / _timeScale, 0.001, 1.0))
                : TimeSpan.FromSeconds(1);
            try
            {
                await _wake.WaitAsync(wait, token).ConfigureAwait(false);
                while (_wake.CurrentCount > 0 && _wake.Wait(0)) { }
            }
            catch (OperationCanceledException) { return; }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        _stop.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
