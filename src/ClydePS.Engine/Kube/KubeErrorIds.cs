namespace ClydePS.Engine.Kube;

/// <summary>Stable ErrorIds of the cluster gateway. Never rename one: scripts match on them.</summary>
public static class KubeErrorIds
{
    public const string KubeconfigNotFound = "ClydeKubeconfigNotFound";
    public const string KubeconfigMissing = "ClydeKubeconfigMissing";
    public const string KubeconfigInvalid = "ClydeKubeconfigInvalid";
    public const string ContextNotFound = "ClydeContextNotFound";
    public const string CredentialPluginFailed = "ClydeCredentialPluginFailed";

    public const string ApiBadRequest = "ClydeApiBadRequest";
    public const string ApiUnauthorized = "ClydeApiUnauthorized";
    public const string ApiForbidden = "ClydeApiForbidden";
    public const string ApiNotFound = "ClydeApiNotFound";
    public const string ApiAlreadyExists = "ClydeApiAlreadyExists";
    public const string ApiConflict = "ClydeApiConflict";
    public const string ApiExpired = "ClydeApiExpired";
    public const string ApiInvalid = "ClydeApiInvalid";
    public const string ApiTooManyRequests = "ClydeApiTooManyRequests";
    public const string ApiServerError = "ClydeApiServerError";
    public const string ApiUnavailable = "ClydeApiUnavailable";
    public const string ApiTimeout = "ClydeApiTimeout";
    public const string ApiUnreachable = "ClydeApiUnreachable";
    public const string ApiConnectionLost = "ClydeApiConnectionLost";
    public const string ApiTlsFailed = "ClydeApiTlsFailed";
    public const string ApiError = "ClydeApiError";
    public const string Cancelled = "ClydeOperationCancelled";
}
