namespace ClydePS.Engine.Registry;

/// <summary>Stable ErrorIds of the registry client and the probes. Never rename one: scripts match on them.</summary>
public static class RegistryErrorIds
{
    public const string InvalidImageReference = "ClydeInvalidImageReference";
    public const string InvalidPlatform = "ClydeInvalidPlatform";
    public const string ImageNotFound = "ClydeImageNotFound";
    public const string PlatformNotFound = "ClydeImagePlatformNotFound";
    public const string UnsupportedManifest = "ClydeUnsupportedManifest";
    public const string AuthFailed = "ClydeRegistryAuthFailed";
    public const string Unreachable = "ClydeRegistryUnreachable";
    public const string TlsFailed = "ClydeRegistryTlsFailed";
    public const string InsecureRegistry = "ClydeRegistryInsecure";
    public const string Error = "ClydeRegistryError";
    public const string RegistryConfigInvalid = "ClydeRegistryConfigInvalid";
    public const string PullSecretInvalid = "ClydePullSecretInvalid";
    public const string PullSecretNotFound = "ClydePullSecretNotFound";
    public const string MirrorInvalid = "ClydeRegistryMirrorInvalid";
    public const string CaCertificateInvalid = "ClydeCaCertificateInvalid";
    public const string ProxyInvalid = "ClydeProxyInvalid";
}
