using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ClydePS.Lab.Auth;

/// <summary>
/// The Lab's PKI for --https: a CA, a server certificate for 127.0.0.1/::1/localhost, and an admin client
/// certificate (CN=clyde-admin, O=system:masters), all ECDSA P-256 and signed by the CA.
/// </summary>
public sealed class LabCertificates : IDisposable
{
    public X509Certificate2 Ca { get; }
    public X509Certificate2 Server { get; }
    public X509Certificate2 AdminClient { get; }

    LabCertificates(X509Certificate2 ca, X509Certificate2 server, X509Certificate2 admin)
    {
        Ca = ca;
        Server = server;
        AdminClient = admin;
    }

    public static LabCertificates Generate()
    {
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caReq = new CertificateRequest("CN=clyde-lab-ca", caKey, HashAlgorithmName.SHA256);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        caReq.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caReq.PublicKey, false));
        var ca = caReq.CreateSelfSigned(now, now.AddYears(10));

        var server = Issue(ca, caKey, "CN=clyde-lab-apiserver", now, serverAuth: true, req =>
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddIpAddress(IPAddress.IPv6Loopback);
            san.AddDnsName("localhost");
            san.AddDnsName("kubernetes");
            san.AddDnsName("kubernetes.default.svc");
            req.CertificateExtensions.Add(san.Build());
        });
        var admin = Issue(ca, caKey, "CN=clyde-admin, O=system:masters", now, serverAuth: false, null);
        return new LabCertificates(ca, server, admin);
    }

    static X509Certificate2 Issue(X509Certificate2 ca, ECDsa caKey, string subject, DateTimeOffset now, bool serverAuth,
        Action<CertificateRequest>? configure)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        configure?.Invoke(req);
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f;
        var signer = X509SignatureGenerator.CreateForECDsa(caKey);
        using var cert = req.Create(ca.SubjectName, signer, now, now.AddYears(5), serial);
        var withKey = cert.CopyWithPrivateKey(key);
        // round-trip through PKCS#12 so the key is usable by SslStream on every platform
        return new X509Certificate2(withKey.Export(X509ContentType.Pkcs12), (string?)null, X509KeyStorageFlags.Exportable);
    }

    public static string CertificatePem(X509Certificate2 cert) => cert.ExportCertificatePem() + "\n";

    public static string PrivateKeyPem(X509Certificate2 cert) =>
        (cert.GetECDsaPrivateKey() ?? throw new InvalidOperationException("no private key")).ExportPkcs8PrivateKeyPem() + "\n";

    /// <summary>True when the certificate chains to the Lab CA and is valid for client authentication.</summary>
    public bool IsTrustedClient(X509Certificate2 cert)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(cert);
    }

    public void Dispose()
    {
        Ca.Dispose();
        Server.Dispose();
        AdminClient.Dispose();
    }
}
