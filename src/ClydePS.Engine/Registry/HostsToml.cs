namespace ClydePS.Engine.Registry;

/// <summary>
/// Reads containerd's registry host configuration (<c>&lt;dir&gt;/&lt;host&gt;/hosts.toml</c>, and
/// <c>&lt;dir&gt;/_default/hosts.toml</c> for every registry): the <c>server</c> key and the
/// <c>[host."url"]</c> tables, in file order, become mirrors tried before the upstream. Only the keys ClydePS uses
/// are read (<c>server</c>, <c>[host."..."]</c> with <c>capabilities</c>); a host whose capabilities omit
/// <c>resolve</c> and <c>pull</c> is skipped. This is a deliberately small TOML subset: strings, string arrays,
/// booleans, comments, tables.
/// </summary>
public static class HostsToml
{
    /// <summary>Mirrors for <paramref name="registry"/> from a hosts directory: its own file, else <c>_default</c>.</summary>
    public static IReadOnlyList<Uri> MirrorsFor(string directory, string registry)
    {
        foreach (var name in new[] { registry, registry.Replace(':', '_'), "_default" })
        {
            var file = Path.Combine(directory, name, "hosts.toml");
            if (File.Exists(file))
            {
                return Parse(File.ReadAllText(file), file, registry);
            }
        }
        return [];
    }

    /// <summary>The mirror URLs of one hosts.toml; a <c>server</c> equal to the registry itself is not a mirror.</summary>
    public static IReadOnlyList<Uri> Parse(string text, string source, string registry)
    {
        var mirrors = new List<Uri>();
        string? server = null;
        string? currentHost = null;
        string[]? capabilities = null;
        var lineNumber = 0;

        void Flush()
        {
            if (currentHost is not null && (capabilities is null || capabilities.Contains("pull") || capabilities.Contains("resolve")))
            {
                mirrors.Add(ToUri(currentHost, source, lineNumber));
            }
            currentHost = null;
            capabilities = null;
        }

        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = StripComment(raw).Trim();
            if (line.Length == 0)
            {
                continue;
            }
            if (line.StartsWith('['))
            {
                Flush();
                if (!line.EndsWith(']'))
                {
                    throw Invalid(source, lineNumber, "a table header must end with ']'");
                }
                var header = line.Trim('[', ']').Trim();
                if (header.StartsWith("host.", StringComparison.Ordinal))
                {
                    currentHost = ReadString(header[5..].Trim(), source, lineNumber);
                }
                continue;
            }
            var eq = line.IndexOf('=');
            if (eq <= 0)
            {
                throw Invalid(source, lineNumber, "expected key = value");
            }
            var key = line[..eq].Trim().Trim('"');
            var value = line[(eq + 1)..].Trim();
            if (currentHost is null && key == "server")
            {
                server = ReadString(value, source, lineNumber);
            }
            else if (currentHost is not null && key == "capabilities")
            {
                capabilities = ReadArray(value, source, lineNumber);
            }
        }
        Flush();

        if (server is not null)
        {
            var serverUri = ToUri(server, source, lineNumber);
            var isUpstream = RegistryHosts.CredentialKey(serverUri.Authority) == RegistryHosts.CredentialKey(registry)
                             || RegistryHosts.CredentialKey(serverUri.Authority) == RegistryHosts.CredentialKey(RegistryHosts.ApiHost(registry));
            if (!isUpstream)
            {
                // containerd: 'server' replaces the upstream; ClydePS tries it like a mirror, then falls back.
                mirrors.Add(serverUri);
            }
        }
        return mirrors;
    }

    private static string StripComment(string line)
    {
        var inString = false;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '"' && (i == 0 || line[i - 1] != '\\'))
            {
                inString = !inString;
            }
            else if (line[i] == '#' && !inString)
            {
                return line[..i];
            }
        }
        return line;
    }

    private static string ReadString(string value, string source, int line)
    {
        if (value.Length >= 2 && (value[0] == '"' && value[^1] == '"' || value[0] == '\'' && value[^1] == '\''))
        {
            return value[1..^1].Replace("\\\"", "\"").Replace("\\\\", "\\");
        }
        throw Invalid(source, line, $"expected a quoted string, got {value}");
    }

    private static string[] ReadArray(string value, string source, int line)
    {
        if (!value.StartsWith('[') || !value.EndsWith(']'))
        {
            throw Invalid(source, line, "expected an array of strings");
        }
        return value[1..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(v => ReadString(v, source, line)).ToArray();
    }

    private static Uri ToUri(string text, string source, int line)
    {
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "https://" + text;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw Invalid(source, line, $"'{text}' is not an http or https URL");
        }
        return uri;
    }

    private static ClydeException Invalid(string source, int line, string why) =>
        new(ClydeErrorKind.Invalid, RegistryErrorIds.MirrorInvalid, $"The registry hosts file '{source}' cannot be read (line {line}): {why}.", source);
}
