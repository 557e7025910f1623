namespace ClydePS;

/// <summary>What kind of failure a <see cref="ClydeException"/> reports; the cmdlet layer maps it to an ErrorCategory.</summary>
public enum ClydeErrorKind
{
    InvalidArgument,
    NotFound,
    AlreadyExists,
    Conflict,
    Invalid,
    Unauthorized,
    Forbidden,
    Timeout,
    Transient,
    Unavailable,
    Cancelled,
    Configuration,
    Unknown,
}
