using System.Net;

namespace ClydePS.Engine.Registry;

/// <summary>Host name rules shared by the client, credentials and mirrors.</summary>
public static class RegistryHosts
{
    /// <summary>Docker Hub's API host; every other registry serves the API at its own name.</summary>
    public static string ApiHost(string registry) =>
        registry is "docker.io" or "index.docker.io" ? "registry-1.docker.io" : registry;

    /// <summary>The name credentials are filed under: Docker Hub's many names collapse to docker.io.</summary>
    public static string CredentialKey(string registryOrUrl)
    {
        var host = registryOrUrl.Trim();
        var scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            host = host[(scheme + 3)..];
        }
        var slash = host.IndexOf('/');
        if (slash >= 0)
        {
            host = host[..slash];
        }
        host = host.ToLowerInvariant();
        return host is "index.docker.io" or "registry-1.docker.io" or "registry.hub.docker.com" ? "docker.io" : host;
    }

    /// <summary>True for localhost, 127.0.0.0/8 and ::1, with or without a port: Docker allows plain HTTP to these.</summary>
    public static bool IsLoopback(string hostAndPort)
    {
        var host = HostWithoutPort(hostAndPort);
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
    }

    public static string HostWithoutPort(string hostAndPort)
    {
        if (hostAndPort.StartsWith('['))
        {
            var end = hostAndPort.IndexOf(']');
            return end > 0 ? hostAndPort[1..end] : hostAndPort;
        }
        var colon = hostAndPort.LastIndexOf(':');
        return colon > 0 && hostAndPort.IndexOf(':') == colon ? hostAndPort[..colon] : hostAndPort;
    }
}
