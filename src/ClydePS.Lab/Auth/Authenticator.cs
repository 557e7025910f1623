using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace ClydePS.Lab.Auth;

/// <summary>The authenticated user of a request.</summary>
public sealed record LabUser(string Name, IReadOnlyList<string> Groups);

/// <summary>
/// Authenticates requests by bearer token or by a client certificate chaining to the Lab CA, as the real
/// server's token and x509 authenticators do (CN = user, O = groups). Anonymous requests are refused.
/// </summary>
public sealed class Authenticator
{
    readonly byte[] _adminToken;
    readonly LabCertificates? _certs;
    readonly ConcurrentDictionary<string, bool> _trustedThumbprints = new();

    public string AdminToken { get; }

    readonly bool _allowAnonymous;

    readonly Func<string, LabUser?>? _otherTokens;

    public Authenticator(string adminToken, LabCertificates? certs, bool allowAnonymous = false, Func<string, LabUser?>? otherTokens = null)
    {
        _otherTokens = otherTokens;
        _allowAnonymous = allowAnonymous;
        AdminToken = adminToken;
        _adminToken = Encoding.UTF8.GetBytes(adminToken);
        _certs = certs;
    }

    public static string NewToken() => Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();

    public LabUser? Authenticate(HttpContext ctx)
    {
        var auth = ctx.Request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = Encoding.UTF8.GetBytes(auth[7..].Trim());
            if (CryptographicOperations.FixedTimeEquals(token, _adminToken))
                return new LabUser("clyde-lab-admin", ["system:masters", "system:authenticated"]);
            return _otherTokens?.Invoke(auth[7..].Trim());
        }
        var cert = ctx.Connection.ClientCertificate;
        if (cert is not null && _certs is not null)
        {
            var trusted = _trustedThumbprints.GetOrAdd(cert.Thumbprint, _ => _certs.IsTrustedClient(cert));
            if (!trusted) return null;
            var cn = cert.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false);
            var groups = cert.SubjectName.EnumerateRelativeDistinguishedNames()
                .Where(r => r.GetSingleElementType().Value == "2.5.4.10")
                .Select(r => r.GetSingleElementValue() ?? "")
                .Append("system:authenticated").ToList();
            return new LabUser(cn, groups);
        }
        return _allowAnonymous ? new LabUser("system:anonymous", ["system:unauthenticated"]) : null;
    }
}
