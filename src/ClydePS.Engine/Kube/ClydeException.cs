namespace ClydePS;

/// <summary>
/// The one exception type the engine throws for expected failures. <see cref="ErrorId"/> is stable
/// (it becomes the ErrorRecord's FullyQualifiedErrorId); <see cref="Message"/> says what to do next and never
/// holds a secret.
/// </summary>
public class ClydeException : Exception
{
    public ClydeException(ClydeErrorKind kind, string errorId, string message, object? target = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        ErrorId = errorId;
        Target = target;
    }

    public ClydeErrorKind Kind { get; }

    /// <summary>Stable identifier such as <c>ClydeApiNotFound</c> or <c>ClydeKubeconfigNotFound</c>.</summary>
    public string ErrorId { get; }

    /// <summary>The object the failure is about (a name, a path, a node), for the ErrorRecord's TargetObject.</summary>
    public object? Target { get; }

    /// <summary>What the engine was doing, e.g. "list nodes".</summary>
    public string? Operation { get; init; }

    /// <summary>HTTP status code of an API error, else null.</summary>
    public int? StatusCode { get; init; }

    /// <summary>The API server's metav1.Status message (redacted), else null.</summary>
    public string? ServerMessage { get; init; }

    /// <summary>The API server's metav1.Status reason (e.g. NotFound, AlreadyExists, Expired), else null.</summary>
    public string? ServerReason { get; init; }

    /// <summary>True when trying again later may succeed (429, 5xx, dropped connections, timeouts).</summary>
    public bool IsTransient { get; init; }

    /// <summary>How long the server asked us to wait (Retry-After or Status details), else null.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>A copy with another message and the same facts (used to add "gave up after N attempts").</summary>
    public ClydeException WithMessage(string message) =>
        new(Kind, ErrorId, message, Target, InnerException)
        {
            Operation = Operation,
            StatusCode = StatusCode,
            ServerMessage = ServerMessage,
            ServerReason = ServerReason,
            IsTransient = IsTransient,
            RetryAfter = RetryAfter,
        };
}
