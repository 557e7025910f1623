using System.Management.Automation;

namespace ClydePS.Infrastructure;

/// <summary>The one mapping from engine failures to PowerShell ErrorRecords (ErrorId, category, target).</summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(ClydeException ex) =>
        new(ex, ex.ErrorId, CategoryOf(ex.Kind), ex.Target)
        {
            ErrorDetails = new ErrorDetails(ex.Message),
        };

    public static ErrorCategory CategoryOf(ClydeErrorKind kind) => kind switch
    {
        ClydeErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        ClydeErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        ClydeErrorKind.AlreadyExists => ErrorCategory.ResourceExists,
        ClydeErrorKind.Conflict => ErrorCategory.ResourceBusy,
        ClydeErrorKind.Invalid => ErrorCategory.InvalidData,
        ClydeErrorKind.Unauthorized => ErrorCategory.AuthenticationError,
        ClydeErrorKind.Forbidden => ErrorCategory.PermissionDenied,
        ClydeErrorKind.Timeout => ErrorCategory.OperationTimeout,
        ClydeErrorKind.Transient => ErrorCategory.ConnectionError,
        ClydeErrorKind.Unavailable => ErrorCategory.ConnectionError,
        ClydeErrorKind.Cancelled => ErrorCategory.OperationStopped,
        ClydeErrorKind.Configuration => ErrorCategory.InvalidArgument,
        _ => ErrorCategory.NotSpecified,
    };
}
