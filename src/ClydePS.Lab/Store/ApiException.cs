namespace ClydePS.Lab.Store;

/// <summary>One cause of an Invalid (422) error, as metav1.StatusCause.</summary>
public sealed record StatusCause(string Reason, string Message, string Field);

/// <summary>
/// An error answered as a metav1.Status body. Messages follow the real kube-apiserver
/// (k8s.io/apimachinery/pkg/api/errors).
/// </summary>
public sealed class ApiException : Exception
{
    public int Code { get; }
    public string Reason { get; }
    public string? DetailName { get; init; }
    public string? DetailGroup { get; init; }
    public string? DetailKind { get; init; }
    public IReadOnlyList<StatusCause>? Causes { get; init; }
    public int? RetryAfterSeconds { get; init; }
    /// <summary>When false, the body has "details":{} omitted (as some real errors do).</summary>
    public bool HasDetails { get; init; } = true;

    public ApiException(int code, string reason, string message) : base(message)
    {
        Code = code;
        Reason = reason;
    }

    static string Qualified(string resource, string group) => group.Length == 0 ? resource : resource + "." + group;

    public static ApiException NotFound(string resource, string group, string name) =>
        new(404, "NotFound", $"{Qualified(resource, group)} \"{name}\" not found")
        { DetailName = name, DetailGroup = group, DetailKind = resource };

    public static ApiException AlreadyExists(string resource, string group, string name) =>
        new(409, "AlreadyExists", $"{Qualified(resource, group)} \"{name}\" already exists")
        { DetailName = name, DetailGroup = group, DetailKind = resource };

    public static ApiException Conflict(string resource, string group, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {Qualified(resource, group)} \"{name}\": {why}")
        { DetailName = name, DetailGroup = group, DetailKind = resource };

    public const string ModifiedMessage =
        "the object has been modified; please apply your changes to the latest version and try again";

    public static ApiException Forbidden(string resource, string group, string name, string why) =>
        new(403, "Forbidden", $"{Qualified(resource, group)} \"{name}\" is forbidden: {why}")
        { DetailName = name, DetailGroup = group, DetailKind = resource };

    public static ApiException BadRequest(string message) =>
        new(400, "BadRequest", message) { HasDetails = false };

    public static ApiException Invalid(string kind, string group, string name, IReadOnlyList<StatusCause> causes)
    {
        var parts = causes.Select(c => c.Field.Length == 0 ? c.Message : $"{c.Field}: {c.Message}").ToList();
        var joined = parts.Count == 1 ? parts[0] : "[" + string.Join(", ", parts) + "]";
        var qualifiedKind = group.Length == 0 ? kind : kind + "." + group;
        return new ApiException(422, "Invalid", $"{qualifiedKind} \"{name}\" is invalid: {joined}")
        { DetailName = name, DetailGroup = group, DetailKind = kind, Causes = causes };
    }

    public static ApiException MethodNotAllowed() =>
        new(405, "MethodNotAllowed", "the server does not allow this method on the requested resource") { };

    public static ApiException ResourceNotFound() =>
        new(404, "NotFound", "the server could not find the requested resource") { };

    public static ApiException Expired(string message) => new(410, "Expired", message) { HasDetails = false };

    public static ApiException Unauthorized() => new(401, "Unauthorized", "Unauthorized") { HasDetails = false };

    public static ApiException UnsupportedMediaType(string accepted) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: {accepted}") { };

    public static ApiException NotAcceptable(string accepted) =>
        new(406, "NotAcceptable", $"only the following media types are accepted: {accepted}") { };
}
