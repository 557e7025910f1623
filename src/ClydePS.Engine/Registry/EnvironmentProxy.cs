using System.Net;
using System.Net.Sockets;

namespace ClydePS.Engine.Registry;

/// <summary>
/// The proxy settings of the environment as Docker and containerd read them (Go's <c>httpproxy</c> rules), read
/// when a registry client is made, so a change of <c>$env:HTTPS_PROXY</c> in a session counts (.NET's
/// <c>HttpClient.DefaultProxy</c> reads the environment once per process):
/// <list type="bullet">
/// <item><c>HTTPS_PROXY</c> for https URLs, <c>HTTP_PROXY</c> for http URLs; the upper-case name wins over the lower-case one;
/// a value without a scheme means <c>http://</c>; user info in the URL is the proxy's Basic credential.</item>
/// <item>Never for <c>localhost</c> or a loopback address (.NET's own environment proxy does proxy loopback).</item>
/// <item><c>NO_PROXY</c>: comma-separated; <c>*</c> (everything), an IP address, a CIDR range, or a domain
/// (<c>example.com</c> matches it and its subdomains, <c>.example.com</c> and <c>*.example.com</c> only subdomains),
/// each optionally with <c>:port</c>.</item>
/// </list>
/// </summary>
public sealed class EnvironmentProxy : IWebProxy
{
    private readonly Uri? _httpProxy;
    private readonly Uri? _httpsProxy;
    private bool _bypassAll;
    private readonly List<(IPAddress Network, int PrefixLength)> _cidrs = [];
    private readonly List<(IPAddress Address, string? Port)> _addresses = [];
    private readonly List<(string Suffix, bool MatchHost, string? Port)> _domains = [];
    private readonly ProxyCredentials _credentials = new();

    private EnvironmentProxy(Uri? httpProxy, Uri? httpsProxy, string? noProxy)
    {
        // The handler gets the proxy without user info; the user info becomes that proxy's credential.
        _httpProxy = WithoutUserInfo(httpProxy);
        _httpsProxy = WithoutUserInfo(httpsProxy);
        foreach (var proxy in new[] { httpProxy, httpsProxy })
        {
            if (proxy is not null && proxy.UserInfo.Length > 0)
            {
                var parts = proxy.UserInfo.Split(':', 2);
                _credentials.Add(WithoutUserInfo(proxy)!, new NetworkCredential(Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : ""));
            }
        }
        ParseNoProxy(noProxy ?? "");
        NoProxy = noProxy ?? "";
    }

    /// <summary>The proxy for http URLs, without user info (for messages).</summary>
    public Uri? HttpProxy => _httpProxy;

    /// <summary>The proxy for https URLs, without user info (for messages).</summary>
    public Uri? HttpsProxy => _httpsProxy;

    public string NoProxy { get; }

    /// <summary>Passwords in the proxy URLs, for the redactor.</summary>
    public IEnumerable<string> Secrets => _credentials.Passwords;

    public ICredentials? Credentials
    {
        get => _credentials;
        set { }
    }

    /// <summary>The proxy settings of the environment; null when neither HTTP_PROXY nor HTTPS_PROXY is set.</summary>
    /// <exception cref="ClydeException">A proxy variable holds something that is not a URL.</exception>
    public static EnvironmentProxy? FromEnvironment(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        string? Get(string upper) => getVariable(upper) is { Length: > 0 } u ? u : getVariable(upper.ToLowerInvariant()) is { Length: > 0 } l ? l : null;
        var http = ParseProxy(Get("HTTP_PROXY"), "HTTP_PROXY");
        var https = ParseProxy(Get("HTTPS_PROXY"), "HTTPS_PROXY");
        return http is null && https is null ? null : new EnvironmentProxy(http, https, Get("NO_PROXY"));
    }

    public Uri? GetProxy(Uri destination)
    {
        var proxy = destination.Scheme == Uri.UriSchemeHttps ? _httpsProxy : destination.Scheme == Uri.UriSchemeHttp ? _httpProxy : null;
        return proxy is null || !UseProxy(destination) ? null : proxy;
    }

    public bool IsBypassed(Uri host) => GetProxy(host) is null;

    /// <summary>Go's <c>useProxy</c>: false for loopback and for a NO_PROXY match.</summary>
    private bool UseProxy(Uri destination)
    {
        var host = destination.IdnHost.Trim('[', ']').ToLowerInvariant().TrimEnd('.');
        var port = destination.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (host == "localhost")
        {
            return false;
        }
        if (IPAddress.TryParse(host, out var ip))
        {
            if (IPAddress.IsLoopback(ip) || _bypassAll)
            {
                return false;
            }
            if (_cidrs.Any(c => InRange(ip, c.Network, c.PrefixLength)) || _addresses.Any(a => a.Address.Equals(ip) && (a.Port is null || a.Port == port)))
            {
                return false;
            }
        }
        if (_bypassAll)
        {
            return false;
        }
        foreach (var (suffix, matchHost, p) in _domains)
        {
            if ((host.EndsWith(suffix, StringComparison.Ordinal) || matchHost && host == suffix[1..]) && (p is null || p == port))
            {
                return false;
            }
        }
        return true;
    }

    private void ParseNoProxy(string noProxy)
    {
        foreach (var raw in noProxy.Split(','))
        {
            var entry = raw.Trim().ToLowerInvariant();
            if (entry.Length == 0)
            {
                continue;
            }
            if (entry == "*")
            {
                _bypassAll = true;
                return;
            }
            var slash = entry.IndexOf('/');
            if (slash > 0 && IPAddress.TryParse(entry[..slash], out var network) && int.TryParse(entry[(slash + 1)..], out var prefix)
                && prefix >= 0 && prefix <= (network.AddressFamily == AddressFamily.InterNetwork ? 32 : 128))
            {
                _cidrs.Add((network, prefix));
                continue;
            }
            string? port = null;
            var hostPart = entry;
            if (entry.StartsWith('['))
            {
                var end = entry.IndexOf(']');
                if (end < 0)
                {
                    continue;
                }
                hostPart = entry[1..end];
                port = end + 2 < entry.Length && entry[end + 1] == ':' ? entry[(end + 2)..] : null;
            }
            else if (entry.Count(c => c == ':') == 1)
            {
                var colon = entry.IndexOf(':');
                hostPart = entry[..colon];
                port = entry[(colon + 1)..];
            }
            if (hostPart.Length == 0)
            {
                continue;
            }
            if (IPAddress.TryParse(hostPart, out var address))
            {
                _addresses.Add((address, port));
                continue;
            }
            if (hostPart.StartsWith("*.", StringComparison.Ordinal))
            {
                hostPart = hostPart[1..];
            }
            var matchHost = hostPart[0] != '.';
            _domains.Add((matchHost ? "." + hostPart.TrimEnd('.') : hostPart.TrimEnd('.'), matchHost, port));
        }
    }

    private static bool InRange(IPAddress ip, IPAddress network, int prefixLength)
    {
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }
        if (ip.AddressFamily != network.AddressFamily)
        {
            return false;
        }
        var a = ip.GetAddressBytes();
        var b = network.GetAddressBytes();
        for (var bit = 0; bit < prefixLength; bit++)
        {
            var mask = 0x80 >> (bit % 8);
            if ((a[bit / 8] & mask) != (b[bit / 8] & mask))
            {
                return false;
            }
        }
        return true;
    }

    private static Uri? ParseProxy(string? value, string variable)
    {
        if (value is null)
        {
            return null;
        }
        var text = value.Trim();
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "http://" + text;
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Host.Length == 0 || uri.Scheme is not ("http" or "https" or "socks5" or "socks4" or "socks4a"))
        {
            // Never quote the value: it may hold a password.
            throw new ClydeException(ClydeErrorKind.Configuration, RegistryErrorIds.ProxyInvalid,
                $"The environment variable {variable} is not a proxy URL such as http://proxy.example.com:3128.", variable);
        }
        return uri;
    }

    private static Uri? WithoutUserInfo(Uri? uri) =>
        uri is null || uri.UserInfo.Length == 0 ? uri : new UriBuilder(uri) { UserName = "", Password = "" }.Uri;

    public override string ToString() =>
        $"HTTPS_PROXY={HttpsProxy?.ToString() ?? "(none)"} HTTP_PROXY={HttpProxy?.ToString() ?? "(none)"} NO_PROXY={(NoProxy.Length == 0 ? "(none)" : NoProxy)}";

    /// <summary>Each proxy's own credential (HTTP and HTTPS proxies may differ).</summary>
    private sealed class ProxyCredentials : ICredentials
    {
        private readonly Dictionary<string, NetworkCredential> _byProxy = new(StringComparer.OrdinalIgnoreCase);

        public IEnumerable<string> Passwords => _byProxy.Values.Select(c => c.Password).Where(p => p.Length > 0);

        public void Add(Uri proxy, NetworkCredential credential) => _byProxy[proxy.GetLeftPart(UriPartial.Authority)] = credential;

        public NetworkCredential? GetCredential(Uri uri, string authType) =>
            _byProxy.TryGetValue(uri.GetLeftPart(UriPartial.Authority), out var c) ? c : null;
    }
}
