namespace ClydePS.Engine.Kube;

/// <summary>Bounds of <see cref="RetryPolicy"/>. The defaults suit interactive use and CI alike.</summary>
public sealed record RetryOptions
{
    /// <summary>Attempts in all, the first included.</summary>
    public int MaxAttempts { get; init; } = 6;

    /// <summary>The backoff cap of the first retry; it doubles per retry up to <see cref="MaxDelay"/> (full jitter below the cap).</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>The longest Retry-After honoured; a server asking for more waits this long.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>No retry starts when it would end past this time since the first attempt.</summary>
    public TimeSpan MaxElapsed { get; init; } = TimeSpan.FromSeconds(90);
}

/// <summary>
/// Told to <see cref="GatewayOptions.OnRetry"/> before each retry wait. <see cref="FailedAttempt"/> is the attempt
/// that just failed (1-based), so a cmdlet can warn only when a failure persists (e.g. FailedAttempt >= 2).
/// </summary>
public sealed record RetryNotice(
    string Operation,
    object? Target,
    int FailedAttempt,
    int MaxAttempts,
    TimeSpan Delay,
    ClydeException Error);
