namespace ClydePS.Engine.Kube;

/// <summary>
/// The engine's one retry helper. Retries what <see cref="ClydeException.IsTransient"/> marks (429, 500/502/503/504,
/// dropped or refused connections, timeouts, dropped watches) with exponential backoff and full jitter, honours
/// Retry-After (capped), bounds attempts and total time, and never retries 400/401/403/404/409/422. Waits run on the
/// injected <see cref="TimeProvider"/> (virtual time in tests) and end the moment the token is cancelled.
/// </summary>
public sealed class RetryPolicy
{
    private readonly Random _random;
    private readonly object _randomGate = new();
    private readonly Action<RetryNotice>? _onRetry;

    public RetryPolicy(RetryOptions? options = null, TimeProvider? timeProvider = null, Random? random = null, Action<RetryNotice>? onRetry = null)
    {
        Options = options ?? new RetryOptions();
        if (Options.MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxAttempts must be at least 1.");
        }
        TimeProvider = timeProvider ?? TimeProvider.System;
        _random = random ?? new Random();
        _onRetry = onRetry;
    }

    public RetryOptions Options { get; }

    public TimeProvider TimeProvider { get; }

    /// <summary>
    /// Runs <paramref name="action"/> until it succeeds, fails with a non-transient error, or the bounds are reached.
    /// Failures are turned into <see cref="ClydeException"/> by <paramref name="map"/>; the caller's own cancellation
    /// surfaces as <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(
        string operation,
        object? target,
        Func<CancellationToken, Task<T>> action,
        Func<Exception, ClydeException> map,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(map);
        var started = TimeProvider.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ClydeException error;
            try
            {
                return await action(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                error = map(e);
            }

            var delay = DelayBeforeRetry(attempt, error, TimeProvider.GetElapsedTime(started));
            if (delay is null)
            {
                throw GiveUp(error, attempt, TimeProvider.GetElapsedTime(started));
            }
            _onRetry?.Invoke(new RetryNotice(operation, target, attempt, Options.MaxAttempts, delay.Value, error));
            await Task.Delay(delay.Value, TimeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Tells the retry callback about a retry that is not driven by <see cref="ExecuteAsync"/> (watch re-connects).</summary>
    internal void Notify(RetryNotice notice) => _onRetry?.Invoke(notice);

    internal ClydeException GiveUpWith(ClydeException error, int attempts, TimeSpan elapsed) => GiveUp(error, attempts, elapsed);

    /// <summary>True for failures worth trying again.</summary>
    public static bool IsRetryable(ClydeException error) => error.IsTransient;

    /// <summary>
    /// How long to wait after failed attempt number <paramref name="failedAttempt"/> (1-based), or null when no retry
    /// should follow (not transient, attempts used up, or the wait would end past <see cref="RetryOptions.MaxElapsed"/>).
    /// </summary>
    public TimeSpan? DelayBeforeRetry(int failedAttempt, ClydeException error, TimeSpan elapsed)
    {
        if (!IsRetryable(error) || failedAttempt >= Options.MaxAttempts)
        {
            return null;
        }
        var delay = error.RetryAfter is { } asked
            ? (asked < Options.MaxRetryAfter ? asked : Options.MaxRetryAfter)
            : Backoff(failedAttempt);
        return elapsed + delay > Options.MaxElapsed ? null : delay;
    }

    /// <summary>Full jitter: uniform in [0, min(MaxDelay, BaseDelay * 2^(n-1))].</summary>
    public TimeSpan Backoff(int failedAttempt)
    {
        var exponent = Math.Min(Math.Max(failedAttempt - 1, 0), 30);
        var cap = Math.Min(Options.MaxDelay.Ticks, Options.BaseDelay.Ticks * Math.Pow(2, exponent));
        double fraction;
        lock (_randomGate)
        {
            fraction = _random.NextDouble();
        }
        return TimeSpan.FromTicks((long)(cap * fraction));
    }

    private static ClydeException GiveUp(ClydeException error, int attempts, TimeSpan elapsed) =>
        attempts <= 1 || !error.IsTransient
            ? error
            : error.WithMessage($"{error.Message} (Gave up after {attempts} attempts over {elapsed.TotalSeconds:0.#} s.)");
}
