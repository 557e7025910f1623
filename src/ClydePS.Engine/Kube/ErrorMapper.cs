using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using k8s;
using k8s.Autorest;
using k8s.Exceptions;
using k8s.Models;

namespace ClydePS.Engine.Kube;

/// <summary>
/// The one place that turns KubernetesClient and transport exceptions into <see cref="ClydeException"/>s:
/// a kind, a stable ErrorId, the server's Status message and reason, whether it is transient, and a message
/// that says what to do next. Secrets never survive: all outside text is redacted, and the client's
/// HttpOperationException (whose Request copy holds the Authorization header) is not kept as InnerException.
/// </summary>
public sealed class ErrorMapper
{
    private readonly string? _contextName;
    private readonly string? _serverUrl;

    public ErrorMapper(string? contextName, string? serverUrl, SecretRedactor? redactor = null)
    {
        _contextName = contextName;
        _serverUrl = serverUrl;
        Redactor = redactor ?? SecretRedactor.Default;
    }

    public SecretRedactor Redactor { get; }

    /// <param name="callerToken">The caller's token: a cancellation it asked for maps to Cancelled; any other cancellation is a timeout.</param>
    public ClydeException Map(Exception exception, string operation, object? target, CancellationToken callerToken = default)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            ClydeException clyde => clyde,
            HttpOperationException { Response: null } => new ClydeException(ClydeErrorKind.Unknown, KubeErrorIds.ApiError,
                $"The API call to {operation}{Describe(target)} failed without a response{OnContext()}.", target) { Operation = operation },
            HttpOperationException http => FromStatus(
                (int)http.Response.StatusCode, ParseStatus(http.Response.Content), ParseRetryAfter(http.Response.Headers), operation, target),
            KubernetesException kube => FromStatus(kube.Status?.Code ?? 500, kube.Status, null, operation, target),
            KubeConfigException config => FromKubeConfig(config, operation, target),
            OperationCanceledException when callerToken.IsCancellationRequested => Cancelled(operation, target),
            OperationCanceledException => Timeout(operation, target),
            TimeoutException => Timeout(operation, target),
            HttpRequestException request => FromTransport(request, operation, target),
            IOException io => ConnectionLost(io, operation, target),
            SocketException socket => ConnectionLost(socket, operation, target),
            _ => new ClydeException(
                ClydeErrorKind.Unknown, KubeErrorIds.ApiError,
                $"Unexpected error while trying to {operation}{Describe(target)}{OnContext()}: {Redactor.Redact(exception.Message)}",
                target)
            { Operation = operation },
        };
    }

    /// <summary>Maps a Kubernetes Status (from an HTTP error or a watch ERROR event).</summary>
    public ClydeException FromStatus(int code, V1Status? status, TimeSpan? retryAfter, string operation, object? target)
    {
        var reason = status?.Reason;
        var serverMessage = string.IsNullOrWhiteSpace(status?.Message) ? null : Redactor.Redact(status!.Message);
        if (retryAfter is null && status?.Details?.RetryAfterSeconds is int seconds && seconds > 0)
        {
            retryAfter = TimeSpan.FromSeconds(seconds);
        }
        var what = $"{operation}{Describe(target)}";
        var said = serverMessage is null ? $"{code} {reason ?? ReasonPhrase(code)}" : $"{code} {reason ?? ReasonPhrase(code)}: {serverMessage}";

        (ClydeErrorKind kind, string id, bool transient, string message) = code switch
        {
            400 => (ClydeErrorKind.InvalidArgument, KubeErrorIds.ApiBadRequest, false,
                $"The API server refused to {what} ({said}). Check the values passed to the command."),
            401 => (ClydeErrorKind.Unauthorized, KubeErrorIds.ApiUnauthorized, false,
                $"The API server{OnServer()} did not accept the credentials of context '{_contextName}' to {what} ({said}). " +
                "Refresh your credentials (for example sign in again with your cloud CLI) or choose another context with -Context."),
            403 => (ClydeErrorKind.Forbidden, KubeErrorIds.ApiForbidden, false,
                $"Not allowed to {what}{OnContext()} ({said}). Ask a cluster administrator for the RBAC permission, or use a context that has it."),
            404 => (ClydeErrorKind.NotFound, KubeErrorIds.ApiNotFound, false,
                $"Could not {what}: not found{OnContext()} ({said}). Check the name and the namespace."),
            409 when reason == "AlreadyExists" => (ClydeErrorKind.AlreadyExists, KubeErrorIds.ApiAlreadyExists, false,
                $"Could not {what}: it already exists ({said}). Remove it first or choose another name."),
            409 => (ClydeErrorKind.Conflict, KubeErrorIds.ApiConflict, false,
                $"Could not {what}: it was changed by someone else meanwhile ({said}). Run the command again."),
            410 => (ClydeErrorKind.Conflict, KubeErrorIds.ApiExpired, false,
                $"Could not {what}: the resource version is too old ({said}). Run the command again."),
            422 => (ClydeErrorKind.Invalid, KubeErrorIds.ApiInvalid, false,
                $"The API server rejected the object to {what} as invalid ({said}). Fix the values it names."),
            429 => (ClydeErrorKind.Transient, KubeErrorIds.ApiTooManyRequests, true,
                $"The API server{OnServer()} is throttling requests to {what} ({said}). Wait a little and run the command again."),
            500 when reason is "Timeout" or "ServerTimeout" => (ClydeErrorKind.Timeout, KubeErrorIds.ApiTimeout, true,
                $"The API server{OnServer()} timed out trying to {what} ({said}). Try again; narrow the request if it keeps happening."),
            500 => (ClydeErrorKind.Transient, KubeErrorIds.ApiServerError, true,
                $"The API server{OnServer()} failed to {what} ({said}). Try again; if it persists, check the control plane's health."),
            502 or 503 => (ClydeErrorKind.Unavailable, KubeErrorIds.ApiUnavailable, true,
                $"The API server{OnServer()} is unavailable and could not {what} ({said}). Check that the cluster is up and try again."),
            504 => (ClydeErrorKind.Timeout, KubeErrorIds.ApiTimeout, true,
                $"The API server{OnServer()} timed out trying to {what} ({said}). Try again; if it persists, check the control plane's health."),
            >= 500 => (ClydeErrorKind.Transient, KubeErrorIds.ApiServerError, false,
                $"The API server{OnServer()} failed to {what} ({said}). Check the control plane's health."),
            _ => (ClydeErrorKind.Unknown, KubeErrorIds.ApiError, false,
                $"The API server{OnServer()} answered {said} when trying to {what}."),
        };

        return new ClydeException(kind, id, message, target)
        {
            Operation = operation,
            StatusCode = code,
            ServerMessage = serverMessage,
            ServerReason = reason,
            IsTransient = transient,
            RetryAfter = retryAfter,
        };
    }

    private ClydeException FromKubeConfig(KubeConfigException exception, string operation, object? target)
    {
        // The client's text can quote a credential plugin's output: keep it short, redact it, drop the inner exception.
        var plugin = exception.Message.Contains("external exec", StringComparison.OrdinalIgnoreCase);
        if (!plugin)
        {
            return new ClydeException(ClydeErrorKind.Configuration, KubeErrorIds.KubeconfigInvalid,
                $"The kubeconfig entry for context '{_contextName}' is not usable: {FirstLine(Redactor.Redact(exception.Message))}. " +
                "Fix the kubeconfig or choose another context with -Context.", target)
            { Operation = operation };
        }
        var why = exception.Message.Contains("deserialization", StringComparison.OrdinalIgnoreCase)
            ? "it printed no ExecCredential JSON"
            : FirstLine(Redactor.Redact(exception.Message.Replace("external exec failed due to:", string.Empty, StringComparison.OrdinalIgnoreCase).Trim()));
        var said = ExecPluginOutput.Current is { Count: > 0 } lines
            ? $" It said: {Redactor.Redact(string.Join(" / ", lines.TakeLast(3)))}."
            : string.Empty;
        return new ClydeException(ClydeErrorKind.Configuration, KubeErrorIds.CredentialPluginFailed,
            $"The credential plugin (users[].user.exec) of context '{_contextName}' failed: {why}.{said} " +
            "Run the plugin's command yourself to see why (often: sign in again, or install the plugin).", target)
        { Operation = operation };
    }

    private ClydeException FromTransport(HttpRequestException exception, string operation, object? target)
    {
        if (FindInner<AuthenticationException>(exception) is not null)
        {
            return new ClydeException(ClydeErrorKind.Configuration, KubeErrorIds.ApiTlsFailed,
                $"The TLS handshake with the API server{OnServer()} failed while trying to {operation}{Describe(target)}: " +
                $"{Redactor.Redact(InnermostMessage(exception))}. Check certificate-authority and the client certificate of context '{_contextName}'.",
                target, exception)
            { Operation = operation };
        }
        if (FindInner<IOException>(exception) is not null && exception.HttpRequestError is HttpRequestError.ResponseEnded or HttpRequestError.Unknown)
        {
            return ConnectionLost(exception, operation, target);
        }
        return new ClydeException(ClydeErrorKind.Unavailable, KubeErrorIds.ApiUnreachable,
            $"Cannot reach the API server{OnServer()} to {operation}{Describe(target)}: {Redactor.Redact(InnermostMessage(exception))}. " +
            $"Check the network (VPN, proxy), that the cluster is running, and the server address of context '{_contextName}'.",
            target, exception)
        { Operation = operation, IsTransient = true };
    }

    private ClydeException ConnectionLost(Exception exception, string operation, object? target) =>
        new(ClydeErrorKind.Transient, KubeErrorIds.ApiConnectionLost,
            $"The connection to the API server{OnServer()} dropped while trying to {operation}{Describe(target)}: " +
            $"{Redactor.Redact(InnermostMessage(exception))}. Check the network and try again.",
            target, exception)
        { Operation = operation, IsTransient = true };

    private ClydeException Timeout(string operation, object? target) =>
        new(ClydeErrorKind.Timeout, KubeErrorIds.ApiTimeout,
            $"The API server{OnServer()} did not answer in time to {operation}{Describe(target)}. Check the network and the cluster's health, then try again.",
            target)
        { Operation = operation, IsTransient = true };

    private static ClydeException Cancelled(string operation, object? target) =>
        new(ClydeErrorKind.Cancelled, KubeErrorIds.Cancelled, $"Cancelled while trying to {operation}{Describe(target)}.", target)
        { Operation = operation };

    internal static V1Status? ParseStatus(string? content)
    {
        if (string.IsNullOrWhiteSpace(content) || !content.TrimStart().StartsWith('{'))
        {
            return null;
        }
        try
        {
            var status = KubernetesJson.Deserialize<V1Status>(content);
            return status?.Kind == "Status" || status?.Code is not null ? status : null;
        }
        catch (Exception)
        {
            return null;
        }
    }

    internal static TimeSpan? ParseRetryAfter(IDictionary<string, IEnumerable<string>>? headers)
    {
        if (headers is null)
        {
            return null;
        }
        foreach (var (name, values) in headers)
        {
            if (!string.Equals(name, "Retry-After", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            var value = values.FirstOrDefault()?.Trim();
            if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                return TimeSpan.FromSeconds(seconds);
            }
            if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
            {
                var wait = when - DateTimeOffset.UtcNow;
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }
        }
        return null;
    }

    /// <summary>" node 'n1'", " pod 'ns/p'" or "" — how a target reads inside a sentence.</summary>
    internal static string Describe(object? target) => target switch
    {
        null => string.Empty,
        string s when s.Length == 0 => string.Empty,
        string s => $" '{s}'",
        IKubernetesObject<V1ObjectMeta> o when o.Metadata is { } m =>
            $" {o.Kind ?? o.GetType().Name} '{(string.IsNullOrEmpty(m.NamespaceProperty) ? m.Name : $"{m.NamespaceProperty}/{m.Name}")}'",
        _ => $" '{target}'",
    };

    private string OnContext() => _contextName is null ? string.Empty : $" in context '{_contextName}'";

    private string OnServer() => _serverUrl is null ? string.Empty : $" at {_serverUrl}";

    private static string ReasonPhrase(int code) =>
        Enum.IsDefined(typeof(HttpStatusCode), code) ? ((HttpStatusCode)code).ToString() : "Error";

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] + "..." : line.TrimEnd('.');
    }

    private static string InnermostMessage(Exception exception)
    {
        var messages = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            var message = e.Message.Trim().TrimEnd('.');
            if (message.Length > 0 && !messages.Any(m => m.Contains(message, StringComparison.OrdinalIgnoreCase)))
            {
                messages.Add(message);
            }
        }
        return string.Join(": ", messages);
    }

    private static T? FindInner<T>(Exception exception) where T : Exception
    {
        for (var e = exception.InnerException; e is not null; e = e.InnerException)
        {
            if (e is T match)
            {
                return match;
            }
        }
        return null;
    }
}
