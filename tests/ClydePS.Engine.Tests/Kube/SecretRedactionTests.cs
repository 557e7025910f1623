using ClydePS.Engine.Kube;

namespace ClydePS.Engine.Tests.Kube;

public sealed class SecretRedactionTests
{
    [Fact]
    public async Task ServerEchoingTheTokenNeverReachesTheMessage()
    {
        var echo = $"invalid bearer token {Kubeconfigs.Token}; header was Authorization: Bearer {Kubeconfigs.Token}";
        using var fx = new GatewayFixture((_, _) => FakeApiHandler.Status(401, "Unauthorized", echo), new RetryOptions { MaxAttempts = 1 });

        var e = await Assert.ThrowsAsync<ClydeException>(() => fx.Gateway.ListNodesAsync(null, CancellationToken.None));

        Assert.Equal("ClydeApiUnauthorized", e.ErrorId);
        Assert.DoesNotContain(Kubeconfigs.Token, e.ToString());
        Assert.DoesNotContain(Kubeconfigs.Token, e.ServerMessage);
        Assert.Null(e.InnerException); // the client's exception carries the request's Authorization header
        Assert.Contains("Refresh your credentials", e.Message);
    }

    [Fact]
    public void TransportMessagesAreRedacted()
    {
        var mapper = new ErrorMapper("c", "https://api.example");
        var e = mapper.Map(new HttpRequestException("failed https://admin:hunter2pass@api.example/ with Authorization: Bearer abc.def.ghi"), "list nodes", null);
        Assert.DoesNotContain("hunter2pass", e.Message);
        Assert.DoesNotContain("abc.def.ghi", e.Message);
    }

    [Theory]
    [InlineData("token=s3cr3t-value-1", "s3cr3t-value-1")]
    [InlineData("{\"password\": \"s3cr3t-value-2\"}", "s3cr3t-value-2")]
    [InlineData("Authorization: Basic dXNlcjpzM2NyM3QtdmFsdWUtMw==", "dXNlcjpzM2NyM3QtdmFsdWUtMw==")]
    [InlineData("id token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl expired", "eyJhbGciOiJSUzI1NiJ9")]
    [InlineData("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA")]
    [InlineData("client-key-data: LS0tLS1CRUdJTiBSU0E=", "LS0tLS1CRUdJTiBSU0E=")]
    public void PatternsAreMasked(string text, string secret)
    {
        var redacted = SecretRedactor.Default.Redact(text);
        Assert.DoesNotContain(secret, redacted);
        Assert.Contains(SecretRedactor.Mask, redacted);
    }

    [Fact]
    public void KnownSecretsAreMaskedAnywhereAndPlainTextSurvives()
    {
        var redactor = new SecretRedactor();
        redactor.AddSecret("plainlooking");
        Assert.Equal("nodes is forbidden: User \"system:anonymous\" cannot list *** here",
            redactor.Redact("nodes is forbidden: User \"system:anonymous\" cannot list plainlooking here"));
    }

    [Fact]
    public void KubeconfigErrorsNeverQuoteCredentials()
    {
        using var dir = new TempDir();
        var file = dir.Write("config", Kubeconfigs.Simple("c1", ("c1", "x", "https://x.example", null)));
        var e = Assert.Throws<ClydeException>(() =>
            ClusterGateway.Connect(new KubeconfigOptions([file], "nope"), new GatewayOptions { Environment = new FakeKubeEnvironment() }));
        Assert.DoesNotContain(Kubeconfigs.Token, e.ToString());
    }
}
