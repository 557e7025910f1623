using System.Text;
using System.Text.Json;

namespace ClydePS.Engine.Registry;

/// <summary>
/// Reads registry credentials from a docker <c>config.json</c> (or a <c>kubernetes.io/dockerconfigjson</c>
/// secret's content): <c>auths.&lt;host&gt;</c> with <c>auth</c> (base64 of user:password), or <c>username</c> and
/// <c>password</c>, or an <c>identitytoken</c>. Credential helpers (<c>credsStore</c>) are not run.
/// </summary>
public static class DockerConfig
{
    /// <summary>The file Docker uses: <c>$DOCKER_CONFIG/config.json</c>, else <c>~/.docker/config.json</c>.</summary>
    public static string DefaultPath(Func<string, string?>? getEnvironment = null, string? home = null)
    {
        getEnvironment ??= Environment.GetEnvironmentVariable;
        var dockerConfig = getEnvironment("DOCKER_CONFIG");
        if (!string.IsNullOrEmpty(dockerConfig))
        {
            return Path.Combine(dockerConfig, "config.json");
        }
        home ??= Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".docker", "config.json");
    }

    /// <summary>Reads a config file; a missing default file yields nothing, a missing explicit file is an error.</summary>
    public static IReadOnlyDictionary<string, RegistryCredential> ReadFile(string path, bool mustExist)
    {
        if (!File.Exists(path))
        {
            if (mustExist)
            {
                throw new ClydeException(ClydeErrorKind.NotFound, RegistryErrorIds.RegistryConfigInvalid,
                    $"The registry config file '{path}' does not exist. Give the path of a docker config.json with -RegistryConfigPath.", path);
            }
            return new Dictionary<string, RegistryCredential>();
        }
        return Parse(File.ReadAllBytes(path), path, RegistryErrorIds.RegistryConfigInvalid);
    }

    /// <summary>Parses config.json content. Error messages name the source, never a credential.</summary>
    public static IReadOnlyDictionary<string, RegistryCredential> Parse(byte[] content, string source, string errorId)
    {
        var result = new Dictionary<string, RegistryCredential>(StringComparer.OrdinalIgnoreCase);
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(content);
        }
        catch (JsonException)
        {
            throw Invalid(source, errorId, "it is not valid JSON");
        }
        using (json)
        {
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(source, errorId, "it is not a JSON object");
            }
            if (!json.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object)
            {
                return result;
            }
            foreach (var entry in auths.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }
                var credential = ReadEntry(entry.Value, source, errorId, entry.Name);
                if (credential is not null)
                {
                    result[entry.Name] = credential;
                }
            }
        }
        return result;
    }

    private static RegistryCredential? ReadEntry(JsonElement e, string source, string errorId, string host)
    {
        string? Get(string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var auth = Get("auth");
        if (!string.IsNullOrEmpty(auth))
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
            }
            catch (FormatException)
            {
                throw Invalid(source, errorId, $"the 'auth' value for '{host}' is not base64");
            }
            var colon = decoded.IndexOf(':');
            if (colon < 0)
            {
                throw Invalid(source, errorId, $"the 'auth' value for '{host}' is not base64 of user:password");
            }
            return new RegistryCredential(decoded[..colon], decoded[(colon + 1)..]);
        }
        var user = Get("username");
        var password = Get("password");
        if (!string.IsNullOrEmpty(user) && password is not null)
        {
            return new RegistryCredential(user, password);
        }
        var identityToken = Get("identitytoken");
        return string.IsNullOrEmpty(identityToken) ? null : new RegistryCredential("<token>", identityToken);
    }

    private static ClydeException Invalid(string source, string errorId, string why) =>
        new(ClydeErrorKind.Invalid, errorId, $"The registry credentials in '{source}' cannot be read: {why}.", source);
}
