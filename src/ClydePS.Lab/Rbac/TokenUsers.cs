using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ClydePS.Lab.Auth;

namespace ClydePS.Lab.Rbac;

/// <summary>
/// Bearer tokens beyond the admin's: users made for tests (<c>POST /clydelab/v1/tokens {user, groups}</c>)
/// and service-account tokens from the TokenRequest API (JWT-shaped, bound to the ServiceAccount's uid and
/// expiring in Lab time). <see cref="Authenticator"/> consults <see cref="Find"/>.
/// </summary>
public sealed class TokenUsers
{
    sealed record Entry(LabUser User, DateTime? Expires, Func<bool>? StillValid);

    readonly ConcurrentDictionary<string, Entry> _tokens = new();
    readonly LabClock _clock;

    public TokenUsers(LabClock clock) => _clock = clock;

    /// <summary>A token for a user; groups get system:authenticated added, as the real token authenticators do.</summary>
    public string Issue(string user, IEnumerable<string>? groups)
    {
        var g = (groups ?? []).ToList();
        if (!g.Contains("system:authenticated")) g.Add("system:authenticated");
        var token = Authenticator.NewToken();
        _tokens[token] = new Entry(new LabUser(user, g), null, null);
        return token;
    }

    /// <summary>A service-account token (TokenRequest) valid until <paramref name="expires"/> (Lab time) while the account exists.</summary>
    public string IssueServiceAccount(string ns, string name, string uid, IList<string> audiences, DateTime expires, Func<bool> stillValid)
    {
        var now = _clock.UtcNow;
        static string B64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var header = new JsonObject { ["alg"] = "RS256", ["kid"] = "clyde-lab" };
        var payload = new JsonObject
        {
            ["aud"] = new JsonArray(audiences.Select(a => (JsonNode)JsonValue.Create(a)!).ToArray()),
            ["exp"] = new DateTimeOffset(expires).ToUnixTimeSeconds(),
            ["iat"] = new DateTimeOffset(now).ToUnixTimeSeconds(),
            ["iss"] = "https://kubernetes.default.svc.cluster.local",
            ["jti"] = Guid.NewGuid().ToString(),
            ["kubernetes.io"] = new JsonObject
            {
                ["namespace"] = ns,
                ["serviceaccount"] = new JsonObject { ["name"] = name, ["uid"] = uid },
            },
            ["nbf"] = new DateTimeOffset(now).ToUnixTimeSeconds(),
            ["sub"] = $"system:serviceaccount:{ns}:{name}",
        };
        var token = B64(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + B64(Encoding.UTF8.GetBytes(payload.ToJsonString())) + "." + B64(RandomNumberGenerator.GetBytes(64));
        _tokens[token] = new Entry(ServiceAccountUser(ns, name), expires, stillValid);
        return token;
    }

    public static LabUser ServiceAccountUser(string ns, string name) =>
        new($"system:serviceaccount:{ns}:{name}", ["system:serviceaccounts", $"system:serviceaccounts:{ns}", "system:authenticated"]);

    public LabUser? Find(string token)
    {
        if (!_tokens.TryGetValue(token, out var e)) return null;
        if (e.Expires is { } exp && _clock.UtcNow > exp) return null;
        if (e.StillValid is { } check && !check()) return null;
        return e.User;
    }
}
