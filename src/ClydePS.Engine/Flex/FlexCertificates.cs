using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ClydePS.Engine.Flex;

/// <summary>A CA and a serving certificate signed by it, as PEM (the webhook's TLS Secret and the configuration's caBundle).</summary>
public sealed record FlexCertificateSet(string CaPem, string CertificatePem, string KeyPem, DateTimeOffset NotAfter)
{
    /// <summary>Issues a new ECDSA P-256 CA and a serving certificate for <paramref name="hosts"/> (DNS names or IP addresses).</summary>
    public static FlexCertificateSet Issue(IReadOnlyList<string> hosts, TimeSpan validity, TimeProvider? time = null)
    {
        var now = (time ?? TimeProvider.System).GetUtcNow().AddMinutes(-5);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caReq = new CertificateRequest("CN=flexdaemonsets-webhook-ca, O=ClydePS", caKey, HashAlgorithmName.SHA256);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        caReq.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caReq.PublicKey, false));
        using var ca = caReq.CreateSelfSigned(now, now.Add(validity).AddDays(1));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={hosts[0]}", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var h in hosts)
        {
            if (IPAddress.TryParse(h.Trim('[', ']'), out var ip)) san.AddIpAddress(ip);
            else san.AddDnsName(h);
        }
        req.CertificateExtensions.Add(san.Build());
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f;
        using var cert = req.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now, now.Add(validity), serial);
        return new FlexCertificateSet(ca.ExportCertificatePem() + "\n", cert.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem() + "\n", cert.NotAfter.ToUniversalTime());
    }

    /// <summary>
    /// True when an existing set can be kept: the certificate parses, chains to the CA, covers every host and is valid for
    /// longer than <paramref name="renewBefore"/>.
    /// </summary>
    public static bool IsReusable(string? caPem, string? certPem, string? keyPem, IReadOnlyList<string> hosts, TimeSpan renewBefore, DateTimeOffset now, out DateTimeOffset notAfter)
    {
        notAfter = default;
        if (string.IsNullOrEmpty(caPem) || string.IsNullOrEmpty(certPem) || string.IsNullOrEmpty(keyPem)) return false;
        try
        {
            using var cert = X509Certificate2.CreateFromPem(certPem, keyPem);
            using var ca = X509Certificate2.CreateFromPem(caPem);
            notAfter = cert.NotAfter.ToUniversalTime();
            if (notAfter - now <= renewBefore) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (!chain.Build(cert)) return false;
            return hosts.All(h => cert.MatchesHostname(h.Trim('[', ']')));
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
