using ClydePS.Engine.Kube;

namespace ClydePS.Engine.Registry;

/// <summary>How a <see cref="RegistryClient"/> connects and authenticates. Tests inject HTTP, time and randomness.</summary>
public sealed record RegistryOptions
{
    public CredentialStore Credentials { get; init; } = new();

    /// <summary>Mirrors tried, in order, before every registry (containerd's <c>_default</c> host).</summary>
    public IReadOnlyList<Uri> Mirrors { get; init; } = [];

    /// <summary>A containerd hosts directory (<c>&lt;dir&gt;/&lt;host&gt;/hosts.toml</c>); its mirrors come before <see cref="Mirrors"/>.</summary>
    public string? HostsDirectory { get; init; }

    /// <summary>A PEM bundle of extra trusted CA certificates.</summary>
    public string? CaCertificatePath { get; init; }

    public bool SkipTlsVerify { get; init; }

    /// <summary>Allows plain HTTP to any registry (it is always allowed to loopback registries, as Docker does).</summary>
    public bool AllowInsecureHttp { get; init; }

    public RetryOptions Retry { get; init; } = new();

    public Action<RetryNotice>? OnRetry { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public Random? Random { get; init; }

    /// <summary>Debug narration (every request and its status); messages are already redacted.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Knows every credential, so a secret never reaches a message.</summary>
    public SecretRedactor Redactor { get; init; } = new();

    /// <summary>Time allowed for one metadata request (manifests, tokens, configs).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Time allowed to open a TCP connection.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Where HTTPS_PROXY, HTTP_PROXY and NO_PROXY are read (tests pass their own).</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Replaces the network (tests answer requests here).</summary>
    public HttpMessageHandler? Handler { get; init; }
}

/// <summary>Mirror settings that come from outside the command line.</summary>
public static class RegistryMirrors
{
    /// <summary>The Lab's registry mirror as its kubeconfig extension announces it (<c>registryMirror: url</c>), else null.</summary>
    public static Uri? FromLab(LabInfo? lab) =>
        lab?.RegistryMirror is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri : null;

    /// <summary>Parses a -Mirror value: an http(s) URL or a bare host (https).</summary>
    public static Uri Parse(string text)
    {
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "https://" + text;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, RegistryErrorIds.MirrorInvalid,
                $"'{text}' is not a valid mirror. Give an http or https URL such as https://mirror.example.com or http://127.0.0.1:5000.", text);
        }
        return uri;
    }
}

/// <summary>One place a request can go: a mirror (with the upstream in the <c>ns</c> query parameter) or the registry itself.</summary>
public sealed record RegistryEndpoint(string Host, Uri? BaseUri, bool IsMirror, string? Namespace)
{
    public override string ToString() => IsMirror ? $"mirror {BaseUri}" : Host;
}
