using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using ClydePS.Engine.Kube;

namespace ClydePS.Engine.Registry;

/// <summary>
/// The engine's OCI distribution client. Every request goes to the configured mirrors first (with the upstream
/// in <c>ns</c>, as containerd does) and falls back to the registry when a mirror fails; answers the registry's
/// Bearer (token service) or Basic challenge with the credentials for the host contacted; caches tokens per
/// scope until they expire; retries transient failures (429, 5xx, dropped connections) with the engine's
/// <see cref="RetryPolicy"/>; and maps every failure to a <see cref="ClydeException"/> with a stable ErrorId.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly RetryPolicy _retry;
    private readonly ConcurrentDictionary<string, Uri> _upstreamBase = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, AuthChallenge> _hostChallenge = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Expires)> _tokens = new(StringComparer.Ordinal);
    private readonly X509Certificate2Collection? _extraRoots;
    private readonly EnvironmentProxy? _proxy;

    // Hosts (without port) whose certificate was presented and rejected in the current HTTPS attempt.
    private readonly ConcurrentDictionary<string, SslPolicyErrors> _rejectedCertificates = new(StringComparer.OrdinalIgnoreCase);

    public RegistryClient(RegistryOptions? options = null)
    {
        Options = options ?? new RegistryOptions();
        foreach (var credential in Options.Credentials.All)
        {
            Options.Redactor.AddSecret(credential.Password);
            Options.Redactor.AddSecret(credential.BasicValue);
        }
        _retry = new RetryPolicy(Options.Retry, Options.TimeProvider, Options.Random, Options.OnRetry);
        _extraRoots = LoadCaBundle(Options.CaCertificatePath);
        if (Options.Handler is null)
        {
            _proxy = EnvironmentProxy.FromEnvironment(Options.GetEnvironmentVariable);
            foreach (var secret in _proxy?.Secrets ?? [])
            {
                Options.Redactor.AddSecret(secret);
            }
            if (_proxy is not null)
            {
                Log($"Proxy settings from the environment: {_proxy}.");
            }
        }
        _http = new HttpClient(Options.Handler ?? CreateHandler(), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("ClydePS/" + (typeof(RegistryClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    public RegistryOptions Options { get; }

    /// <summary>Where requests for <paramref name="image"/> go, in order: hosts.toml mirrors, -Mirror mirrors, the registry.</summary>
    public IReadOnlyList<RegistryEndpoint> EndpointsFor(ImageReference image)
    {
        var endpoints = new List<RegistryEndpoint>();
        var mirrors = new List<Uri>();
        if (!string.IsNullOrEmpty(Options.HostsDirectory))
        {
            mirrors.AddRange(HostsToml.MirrorsFor(Options.HostsDirectory, image.Registry));
        }
        mirrors.AddRange(Options.Mirrors);
        foreach (var mirror in mirrors.Distinct())
        {
            endpoints.Add(new RegistryEndpoint(mirror.Authority, mirror, IsMirror: true, Namespace: image.Registry));
        }
        endpoints.Add(new RegistryEndpoint(image.ApiHost, null, IsMirror: false, Namespace: null));
        return endpoints;
    }

    /// <summary>
    /// Sends one request under <c>/v2/&lt;repository&gt;/</c> (e.g. <c>manifests/latest</c>) and returns a successful
    /// response with its headers read (the caller reads and disposes the body). Failures are ClydeExceptions.
    /// </summary>
    /// <param name="timeout">Time allowed until the response headers arrive; null = <see cref="RegistryOptions.RequestTimeout"/>.</param>
    /// <param name="retry">False for measurements (probe samples): one attempt per endpoint, never a retry wait.</param>
    public async Task<RegistryResponse> SendAsync(
        ImageReference image, HttpMethod method, string path, Action<HttpRequestMessage>? configure, TimeSpan? timeout, CancellationToken cancellationToken,
        bool retry = true)
    {
        ClydeException? mirrorFailure = null;
        foreach (var endpoint in EndpointsFor(image))
        {
            if (endpoint.IsMirror)
            {
                try
                {
                    var response = await SendToEndpointAsync(endpoint, image, method, path, configure, timeout, cancellationToken).ConfigureAwait(false);
                    return new RegistryResponse(response, endpoint);
                }
                catch (ClydeException e)
                {
                    mirrorFailure = e;
                    Log($"{endpoint} failed ({e.ErrorId}: {e.Message}); falling back to the next host.");
                    continue;
                }
            }

            if (!retry)
            {
                var once = await SendToEndpointAsync(endpoint, image, method, path, configure, timeout, cancellationToken).ConfigureAwait(false);
                return new RegistryResponse(once, endpoint);
            }

            var upstream = await _retry.ExecuteAsync(
                $"{method} {path}", image.ToString(),
                ct => SendToEndpointAsync(endpoint, image, method, path, configure, timeout, ct),
                e => Map(e, endpoint, cancellationToken),
                cancellationToken).ConfigureAwait(false);
            return new RegistryResponse(upstream, endpoint);
        }
        throw (Exception?)mirrorFailure ?? new InvalidOperationException("No registry endpoint.");
    }

    /// <summary>Fetches and parses a manifest or index by tag or digest; verifies the content against a requested sha256 digest.</summary>
    public async Task<(ManifestDocument Document, RegistryEndpoint ServedBy)> GetManifestAsync(ImageReference image, string reference, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.RequestTimeout);
        using var response = await SendAsync(image, HttpMethod.Get, "manifests/" + reference,
            r => r.Headers.Accept.ParseAdd(string.Join(", ", ManifestDocument.AcceptedMediaTypes)), null, cancellationToken).ConfigureAwait(false);
        byte[] content;
        try
        {
            content = await ReadLimitedAsync(response.Message, 4 * 1024 * 1024, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not ClydeException && !cancellationToken.IsCancellationRequested)
        {
            throw Map(e, response.Endpoint, cancellationToken);
        }
        var document = ManifestDocument.Parse(content, response.Message.Content.Headers.ContentType?.ToString(), image.ToString());
        if (reference.StartsWith("sha256:", StringComparison.Ordinal) && document.Digest != reference)
        {
            throw new ClydeException(ClydeErrorKind.Invalid, RegistryErrorIds.Error,
                $"{response.Endpoint} returned a manifest whose digest {document.Digest} does not match the requested {reference}.", image.ToString());
        }
        return (document, response.Endpoint);
    }

    /// <summary>Reads a small blob (an image config) whole.</summary>
    public async Task<byte[]> GetBlobBytesAsync(ImageReference image, string digest, int maxBytes, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.RequestTimeout);
        using var response = await SendAsync(image, HttpMethod.Get, "blobs/" + digest, null, null, cancellationToken).ConfigureAwait(false);
        try
        {
            return await ReadLimitedAsync(response.Message, maxBytes, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not ClydeException && !cancellationToken.IsCancellationRequested)
        {
            throw Map(e, response.Endpoint, cancellationToken);
        }
    }

    public void Dispose() => _http.Dispose();

    // ------------------------------------------------------------------ one endpoint

    private async Task<HttpResponseMessage> SendToEndpointAsync(
        RegistryEndpoint endpoint, ImageReference image, HttpMethod method, string path, Action<HttpRequestMessage>? configure, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? Options.RequestTimeout);
        try
        {
            var response = await SendWithSchemeAsync(endpoint, image, method, path, configure, deadline.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return response;
            }
            using (response)
            {
                throw await FromStatusAsync(response, endpoint, image, path, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not ClydeException && !cancellationToken.IsCancellationRequested)
        {
            throw Map(e, endpoint, cancellationToken);
        }
    }

    private async Task<HttpResponseMessage> SendWithSchemeAsync(
        RegistryEndpoint endpoint, ImageReference image, HttpMethod method, string path, Action<HttpRequestMessage>? configure, CancellationToken ct)
    {
        if (endpoint.BaseUri is not null)
        {
            return await SendWithAuthAsync(endpoint, endpoint.BaseUri, image, method, path, configure, ct).ConfigureAwait(false);
        }
        if (_upstreamBase.TryGetValue(endpoint.Host, out var known))
        {
            return await SendWithAuthAsync(endpoint, known, image, method, path, configure, ct).ConfigureAwait(false);
        }
        var https = new Uri("https://" + endpoint.Host + "/");
        var httpAllowed = Options.AllowInsecureHttp || RegistryHosts.IsLoopback(endpoint.Host);
        var tlsHost = RegistryHosts.HostWithoutPort(endpoint.Host);
        _rejectedCertificates.TryRemove(tlsHost, out _);
        try
        {
            var response = await SendWithAuthAsync(endpoint, https, image, method, path, configure, ct).ConfigureAwait(false);
            _upstreamBase[endpoint.Host] = https;
            return response;
        }
        catch (HttpRequestException e) when (!ct.IsCancellationRequested && IsTls(e) && !_rejectedCertificates.ContainsKey(tlsHost) && !httpAllowed)
        {
            // The handshake failed before any certificate was judged: the host most likely serves plain HTTP,
            // which is used only for loopback registries or when the user allows it.
            throw new ClydeException(ClydeErrorKind.Unavailable, RegistryErrorIds.InsecureRegistry,
                $"{endpoint} did not complete a TLS handshake ({Options.Redactor.Redact(Innermost(e).Message)}); it may serve plain HTTP. " +
                "Plain HTTP is used only for loopback registries or with -AllowInsecureHttp (use it only on a network you trust).",
                endpoint.Host);
        }
        catch (HttpRequestException e) when (httpAllowed && !ct.IsCancellationRequested && !_rejectedCertificates.ContainsKey(tlsHost))
        {
            // As Docker does for insecure (and loopback) registries: HTTPS first, then plain HTTP. A host that
            // presented a certificate we rejected speaks TLS: that failure is reported, never hidden by plain HTTP.
            Log($"HTTPS to {endpoint.Host} failed ({e.Message}); trying plain HTTP.");
            var http = new Uri("http://" + endpoint.Host + "/");
            var response = await SendWithAuthAsync(endpoint, http, image, method, path, configure, ct).ConfigureAwait(false);
            _upstreamBase[endpoint.Host] = http;
            return response;
        }
    }

    private async Task<HttpResponseMessage> SendWithAuthAsync(
        RegistryEndpoint endpoint, Uri baseUri, ImageReference image, HttpMethod method, string path, Action<HttpRequestMessage>? configure, CancellationToken ct)
    {
        var scope = $"repository:{image.Repository}:pull";
        var credential = Options.Credentials.Find(endpoint.Host, image.Registry);
        var url = BuildUrl(baseUri, image, path, endpoint.Namespace);

        HttpRequestMessage Build()
        {
            var request = new HttpRequestMessage(method, url);
            configure?.Invoke(request);
            return request;
        }

        var first = Build();
        if (_hostChallenge.TryGetValue(endpoint.Host, out var known))
        {
            await AuthorizeAsync(first, known, credential, scope, endpoint, ct).ConfigureAwait(false);
        }
        var response = await SendLoggedAsync(first, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        var challenges = AuthChallenge.Parse(response.Headers.WwwAuthenticate.Select(h => h.ToString()));
        var challenge = challenges.FirstOrDefault(c => c.IsBearer) ?? challenges.FirstOrDefault(c => c.IsBasic);
        if (challenge is null || challenge.IsBasic && credential is null || known is not null && challenge.IsBasic)
        {
            return response; // FromStatusAsync turns it into ClydeRegistryAuthFailed
        }
        response.Dispose();
        _hostChallenge[endpoint.Host] = challenge;
        var retry = Build();
        await AuthorizeAsync(retry, challenge, credential, challenge.Scope ?? scope, endpoint, ct, forceNewToken: known is not null).ConfigureAwait(false);
        return await SendLoggedAsync(retry, ct).ConfigureAwait(false);
    }

    private async Task AuthorizeAsync(HttpRequestMessage request, AuthChallenge challenge, RegistryCredential? credential, string scope,
        RegistryEndpoint endpoint, CancellationToken ct, bool forceNewToken = false)
    {
        if (challenge.IsBasic)
        {
            if (credential is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credential.BasicValue);
            }
            return;
        }
        var token = await GetTokenAsync(challenge, credential, scope, endpoint, ct, forceNewToken).ConfigureAwait(false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>The Docker token protocol: GET realm?service=..&amp;scope=.. (Basic auth when there are credentials), cached per scope.</summary>
    private async Task<string> GetTokenAsync(AuthChallenge challenge, RegistryCredential? credential, string scope, RegistryEndpoint endpoint,
        CancellationToken ct, bool forceNew)
    {
        if (string.IsNullOrEmpty(challenge.Realm) || !Uri.TryCreate(challenge.Realm, UriKind.Absolute, out var realm))
        {
            throw new ClydeException(ClydeErrorKind.Unauthorized, RegistryErrorIds.AuthFailed,
                $"{endpoint} asked for a bearer token without a usable realm; it cannot be authenticated against.", endpoint.Host);
        }
        var key = $"{realm}|{challenge.Service}|{scope}|{credential?.UserName}";
        var now = Options.TimeProvider.GetUtcNow();
        if (!forceNew && _tokens.TryGetValue(key, out var cached) && cached.Expires > now)
        {
            return cached.Token;
        }
        var query = new List<string>();
        if (!string.IsNullOrEmpty(challenge.Service))
        {
            query.Add("service=" + Uri.EscapeDataString(challenge.Service));
        }
        query.Add("scope=" + Uri.EscapeDataString(scope));
        if (credential is not null && credential.UserName != "<token>")
        {
            query.Add("account=" + Uri.EscapeDataString(credential.UserName));
        }
        var builder = new UriBuilder(realm) { Query = string.Join("&", new[] { realm.Query.TrimStart('?') }.Where(q => q.Length > 0).Concat(query)) };
        using var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        if (credential is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credential.BasicValue);
        }
        using var response = await SendLoggedAsync(request, ct).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new ClydeException(ClydeErrorKind.Unauthorized, RegistryErrorIds.AuthFailed,
                credential is null
                    ? $"The token service of {endpoint} refused an anonymous token for '{scope}'. Give credentials with -Credential, -RegistryConfigPath or -ImagePullSecret."
                    : $"The token service of {endpoint} refused the credentials of user '{credential.UserName}' for '{scope}' (HTTP {(int)response.StatusCode}). Check the user name and password.",
                endpoint.Host) { StatusCode = (int)response.StatusCode };
        }
        if (!response.IsSuccessStatusCode)
        {
            throw await FromStatusAsync(response, endpoint, null, "token", ct).ConfigureAwait(false);
        }
        var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        string? token = null;
        var expiresIn = 60;
        DateTimeOffset issued = now;
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            token = root.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (string.IsNullOrEmpty(token) && root.TryGetProperty("access_token", out var a) && a.ValueKind == JsonValueKind.String)
            {
                token = a.GetString();
            }
            if (root.TryGetProperty("expires_in", out var e) && e.ValueKind == JsonValueKind.Number)
            {
                expiresIn = Math.Max(60, e.GetInt32());
            }
        }
        catch (JsonException)
        {
        }
        if (string.IsNullOrEmpty(token))
        {
            throw new ClydeException(ClydeErrorKind.Unauthorized, RegistryErrorIds.AuthFailed,
                $"The token service of {endpoint} answered without a token.", endpoint.Host);
        }
        Options.Redactor.AddSecret(token);
        _tokens[key] = (token, issued + TimeSpan.FromSeconds(expiresIn - 5));
        Log($"Got a token for '{scope}' from {realm.GetLeftPart(UriPartial.Path)} (valid {expiresIn} s).");
        return token;
    }

    private async Task<HttpResponseMessage> SendLoggedAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var started = Options.TimeProvider.GetTimestamp();
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        Log($"{request.Method} {request.RequestUri} -> {(int)response.StatusCode} ({Options.TimeProvider.GetElapsedTime(started).TotalMilliseconds:0} ms)");
        return response;
    }

    private static Uri BuildUrl(Uri baseUri, ImageReference image, string path, string? ns)
    {
        var basePath = baseUri.AbsolutePath.TrimEnd('/');
        if (!basePath.EndsWith("/v2", StringComparison.Ordinal))
        {
            basePath += "/v2";
        }
        var builder = new UriBuilder(baseUri) { Path = $"{basePath}/{image.Repository}/{path}", Query = ns is null ? "" : "ns=" + Uri.EscapeDataString(ns) };
        return builder.Uri;
    }

    // ------------------------------------------------------------------ errors

    private async Task<ClydeException> FromStatusAsync(HttpResponseMessage response, RegistryEndpoint endpoint, ImageReference? image, string path, CancellationToken ct)
    {
        var code = (int)response.StatusCode;
        var (errorCode, errorMessage) = await ReadRegistryErrorAsync(response, ct).ConfigureAwait(false);
        var target = (object?)image?.ToString() ?? endpoint.Host;
        var what = image is null ? endpoint.ToString() : $"{image} at {endpoint}";
        var detail = errorMessage is null ? "" : $" The registry said: {Options.Redactor.Redact(errorMessage).TrimEnd('.')}.";
        TimeSpan? retryAfter = response.Headers.RetryAfter?.Delta
            ?? (response.Headers.RetryAfter?.Date is { } date ? date - Options.TimeProvider.GetUtcNow() : null);
        switch (code)
        {
            case 401:
                var hasCredential = image is not null && Options.Credentials.Find(endpoint.Host, image.Registry) is not null;
                return new ClydeException(ClydeErrorKind.Unauthorized, RegistryErrorIds.AuthFailed,
                    hasCredential
                        ? $"{endpoint} refused the credentials for {image?.Repository} (HTTP 401).{detail} Check the user name and password."
                        : $"{endpoint} requires authentication for {image?.Repository} (HTTP 401).{detail} Give credentials with -Credential, -RegistryConfigPath or -ImagePullSecret.",
                    target) { StatusCode = code, ServerReason = errorCode };
            case 403:
                return new ClydeException(ClydeErrorKind.Forbidden, RegistryErrorIds.AuthFailed,
                    $"{endpoint} denied access to {image?.Repository} (HTTP 403).{detail} The credentials are valid but may not pull this repository.",
                    target) { StatusCode = code, ServerReason = errorCode };
            case 404:
                var kind = errorCode switch
                {
                    "NAME_UNKNOWN" => "the repository does not exist",
                    "MANIFEST_UNKNOWN" => "the tag or digest does not exist",
                    "BLOB_UNKNOWN" => "the blob does not exist",
                    _ => "not found",
                };
                return new ClydeException(ClydeErrorKind.NotFound, RegistryErrorIds.ImageNotFound,
                    $"Image {what}: {kind} (HTTP 404{(errorCode is null ? "" : ", " + errorCode)}). Check the repository name and tag; list tags with your registry's tools.",
                    target) { StatusCode = code, ServerReason = errorCode };
            case 429 or 500 or 502 or 503 or 504:
                return new ClydeException(ClydeErrorKind.Transient, RegistryErrorIds.Error,
                    $"{endpoint} answered HTTP {code} for {path}.{detail} This is usually temporary; try again later.",
                    target) { StatusCode = code, ServerReason = errorCode, IsTransient = true, RetryAfter = retryAfter is { } r && r > TimeSpan.Zero ? r : null };
            default:
                return new ClydeException(code >= 500 ? ClydeErrorKind.Unavailable : ClydeErrorKind.Invalid, RegistryErrorIds.Error,
                    $"{endpoint} answered HTTP {code} for {path}.{detail}",
                    target) { StatusCode = code, ServerReason = errorCode };
        }
    }

    private static async Task<(string? Code, string? Message)> ReadRegistryErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var body = await ReadLimitedAsync(response, 64 * 1024, ct).ConfigureAwait(false);
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0)
            {
                var first = errors[0];
                string? Get(string n) => first.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                return (Get("code"), Get("message"));
            }
        }
        catch (Exception e) when (e is JsonException or IOException or HttpRequestException or OperationCanceledException or InvalidDataException)
        {
        }
        return (null, null);
    }

    /// <summary>Maps transport failures (connection, TLS, timeout) to ClydeExceptions; ClydeExceptions pass through.</summary>
    public ClydeException Map(Exception exception, RegistryEndpoint endpoint, CancellationToken callerToken)
    {
        switch (exception)
        {
            case ClydeException clyde:
                return clyde;
            case OperationCanceledException when callerToken.IsCancellationRequested:
                return new ClydeException(ClydeErrorKind.Cancelled, KubeErrorIds.Cancelled, "The registry request was cancelled.", endpoint.Host);
            case OperationCanceledException or TimeoutException:
                return new ClydeException(ClydeErrorKind.Timeout, RegistryErrorIds.Unreachable,
                    $"{endpoint} did not answer in time. Check the network path to the registry (proxy settings, firewalls).", endpoint.Host)
                { IsTransient = true };
            case HttpRequestException http when IsTls(http):
                var rejected = _rejectedCertificates.TryGetValue(RegistryHosts.HostWithoutPort(endpoint.Host), out var policyErrors);
                return new ClydeException(ClydeErrorKind.Unavailable, RegistryErrorIds.TlsFailed,
                    rejected
                        ? $"The TLS connection to {endpoint} failed: {DescribeRejection(policyErrors, endpoint)} " +
                          "Trust the registry's CA with -CaCertificatePath, or (not recommended) use -SkipTlsVerify."
                        : $"The TLS connection to {endpoint} failed: {Options.Redactor.Redact(Innermost(http).Message)} " +
                          "Trust the registry's CA with -CaCertificatePath, or (not recommended) use -SkipTlsVerify; a plain-HTTP registry needs -AllowInsecureHttp.",
                    endpoint.Host);
            case HttpRequestException or IOException or System.Net.Sockets.SocketException:
                return new ClydeException(ClydeErrorKind.Unavailable, RegistryErrorIds.Unreachable,
                    $"{endpoint} cannot be reached: {Options.Redactor.Redact(Innermost(exception).Message)} Check the registry name, the network, and HTTPS_PROXY / NO_PROXY.",
                    endpoint.Host)
                { IsTransient = true };
            default:
                return new ClydeException(ClydeErrorKind.Unknown, RegistryErrorIds.Error,
                    $"Unexpected error talking to {endpoint}: {Options.Redactor.Redact(exception.Message)}", endpoint.Host);
        }
    }

    private string DescribeRejection(SslPolicyErrors errors, RegistryEndpoint endpoint)
    {
        var reasons = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            reasons.Add($"its certificate is not issued for {RegistryHosts.HostWithoutPort(endpoint.Host)}");
        }
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            reasons.Add(_extraRoots is null
                ? "its certificate is not signed by a trusted CA"
                : "its certificate is signed neither by a trusted CA nor by one of -CaCertificatePath");
        }
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            reasons.Add("it presented no certificate");
        }
        return string.Join(" and ", reasons) + ".";
    }

    private static bool IsTls(HttpRequestException e) =>
        e.HttpRequestError == HttpRequestError.SecureConnectionError || e.InnerException is AuthenticationException;

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }
        return e;
    }

    internal static async Task<byte[]> ReadLimitedAsync(HttpResponseMessage response, int maxBytes, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
            {
                throw new InvalidDataException($"The response is larger than {maxBytes} bytes.");
            }
        }
        return buffer.ToArray();
    }

    private void Log(string message) => Options.Log?.Invoke(Options.Redactor.Redact(message));

    // ------------------------------------------------------------------ transport

    private SocketsHttpHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = Options.ConnectTimeout,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        // HTTPS_PROXY / HTTP_PROXY / NO_PROXY as Docker and containerd read them (never loopback), read now rather
        // than once per process as HttpClient.DefaultProxy does. Without them: no proxy on Linux, and the system
        // settings on Windows and macOS.
        if (_proxy is not null)
        {
            handler.Proxy = _proxy;
            handler.UseProxy = true;
        }
        else
        {
            handler.UseProxy = !OperatingSystem.IsLinux();
        }
        // Always our callback: it also records that a host spoke TLS and presented a certificate we rejected.
        handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = ValidateCertificate };
        return handler;
    }

    private bool ValidateCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var accepted = Accept(certificate, chain, errors);
        if (!accepted && sender is SslStream { TargetHostName: { Length: > 0 } host })
        {
            _rejectedCertificates[host.Trim('[', ']')] = errors;
        }
        return accepted;
    }

    private bool Accept(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (Options.SkipTlsVerify || errors == SslPolicyErrors.None)
        {
            return true;
        }
        if (_extraRoots is null || certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_extraRoots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        return custom.Build(certificate as X509Certificate2 ?? new X509Certificate2(certificate));
    }

    private static X509Certificate2Collection? LoadCaBundle(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }
        if (!File.Exists(path))
        {
            throw new ClydeException(ClydeErrorKind.NotFound, RegistryErrorIds.CaCertificateInvalid,
                $"The CA certificate file '{path}' does not exist.", path);
        }
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new ClydeException(ClydeErrorKind.Invalid, RegistryErrorIds.CaCertificateInvalid,
                $"The CA certificate file '{path}' cannot be read as PEM certificates: {e.Message}", path);
        }
        if (collection.Count == 0)
        {
            throw new ClydeException(ClydeErrorKind.Invalid, RegistryErrorIds.CaCertificateInvalid,
                $"The CA certificate file '{path}' holds no PEM certificate.", path);
        }
        return collection;
    }
}

/// <summary>A successful registry response and the endpoint (mirror or registry) that served it.</summary>
public sealed class RegistryResponse(HttpResponseMessage message, RegistryEndpoint endpoint) : IDisposable
{
    public HttpResponseMessage Message { get; } = message;

    public RegistryEndpoint Endpoint { get; } = endpoint;

    public void Dispose() => Message.Dispose();
}
