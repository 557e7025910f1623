using ClydePS.Engine.Kube;
using k8s;
using k8s.Exceptions;

namespace ClydePS.Engine.Tests.Kube;

public sealed class ErrorMappingTests
{
    [Theory]
    [InlineData(400, "BadRequest", ClydeErrorKind.InvalidArgument, "ClydeApiBadRequest", false)]
    [InlineData(401, "Unauthorized", ClydeErrorKind.Unauthorized, "ClydeApiUnauthorized", false)]
    [InlineData(403, "Forbidden", ClydeErrorKind.Forbidden, "ClydeApiForbidden", false)]
    [InlineData(404, "NotFound", ClydeErrorKind.NotFound, "ClydeApiNotFound", false)]
    [InlineData(409, "AlreadyExists", ClydeErrorKind.AlreadyExists, "ClydeApiAlreadyExists", false)]
    [InlineData(409, "Conflict", ClydeErrorKind.Conflict, "ClydeApiConflict", false)]
    [InlineData(410, "Expired", ClydeErrorKind.Conflict, "ClydeApiExpired", false)]
    [InlineData(422, "Invalid", ClydeErrorKind.Invalid, "ClydeApiInvalid", false)]
    [InlineData(429, "TooManyRequests", ClydeErrorKind.Transient, "ClydeApiTooManyRequests", true)]
    [InlineData(500, "InternalError", ClydeErrorKind.Transient, "ClydeApiServerError", true)]
    [InlineData(502, "BadGateway", ClydeErrorKind.Unavailable, "ClydeApiUnavailable", true)]
    [InlineData(503, "ServiceUnavailable", ClydeErrorKind.Unavailable, "ClydeApiUnavailable", true)]
    [InlineData(504, "Timeout", ClydeErrorKind.Timeout, "ClydeApiTimeout", true)]
    public async Task StatusCodesMapToKindErrorIdAndServerMessage(int code, string reason, ClydeErrorKind kind, string errorId, bool transient)
    {
        var serverMessage = $"nodes \"n1\" says {reason} for a reason";
        using var fx = new GatewayFixture((_, _) => FakeApiHandler.Status(code, reason, serverMessage), new RetryOptions { MaxAttempts = 1 });

        var e = await Assert.ThrowsAsync<ClydeException>(() =>
            fx.Gateway.CallAsync("read node", "n1", (c, ct) => c.CoreV1.ReadNodeAsync("n1", cancellationToken: ct), CancellationToken.None));

        Assert.Equal(kind, e.Kind);
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(code, e.StatusCode);
        Assert.Equal(reason, e.ServerReason);
        Assert.Equal(serverMessage, e.ServerMessage);
        Assert.Equal(transient, e.IsTransient);
        Assert.Contains(serverMessage, e.Message);
        Assert.Contains("read node 'n1'", e.Message);
        Assert.Equal("n1", e.Target);
        Assert.Equal("read node", e.Operation);
    }

    [Fact]
    public void NotFoundSaysWhatToDoNext()
    {
        var mapper = new ErrorMapper("prod", "https://api.example");
        var e = mapper.FromStatus(404, new k8s.Models.V1Status { Code = 404, Reason = "NotFound", Message = "daemonsets.apps \"app\" not found" },
            null, "read DaemonSet", "kube-system/app");
        Assert.Equal("Could not read DaemonSet 'kube-system/app': not found in context 'prod' (404 NotFound: daemonsets.apps \"app\" not found). Check the name and the namespace.", e.Message);
    }

    [Fact]
    public void RetryAfterComesFromStatusDetails()
    {
        var mapper = new ErrorMapper("c", null);
        var e = mapper.FromStatus(429, ErrorMapper.ParseStatus("{\"kind\":\"Status\",\"code\":429,\"reason\":\"TooManyRequests\",\"details\":{\"retryAfterSeconds\":7}}"),
            null, "list nodes", null);
        Assert.Equal(TimeSpan.FromSeconds(7), e.RetryAfter);
    }

    [Fact]
    public void TransportFailuresMap()
    {
        var mapper = new ErrorMapper("c", "https://api.example");

        var refused = mapper.Map(new HttpRequestException("Connection refused (api.example:443)", null, null), "list nodes", null);
        Assert.Equal((ClydeErrorKind.Unavailable, "ClydeApiUnreachable", true), (refused.Kind, refused.ErrorId, refused.IsTransient));
        Assert.Contains("Check the network", refused.Message);

        var reset = mapper.Map(FakeApiHandler.ConnectionReset(), "list nodes", null);
        Assert.Equal((ClydeErrorKind.Transient, "ClydeApiConnectionLost", true), (reset.Kind, reset.ErrorId, reset.IsTransient));

        var io = mapper.Map(new IOException("The response ended prematurely."), "watch nodes", null);
        Assert.Equal("ClydeApiConnectionLost", io.ErrorId);

        var timeout = mapper.Map(new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout", new TimeoutException()), "list nodes", null);
        Assert.Equal((ClydeErrorKind.Timeout, "ClydeApiTimeout", true), (timeout.Kind, timeout.ErrorId, timeout.IsTransient));

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var cancelled = mapper.Map(new TaskCanceledException(), "list nodes", null, cts.Token);
        Assert.Equal((ClydeErrorKind.Cancelled, "ClydeOperationCancelled"), (cancelled.Kind, cancelled.ErrorId));

        var config = mapper.Map(new KubeConfigException("User: u does not have appropriate auth credentials in kubeconfig"), "connect", null);
        Assert.Equal((ClydeErrorKind.Configuration, "ClydeKubeconfigInvalid"), (config.Kind, config.ErrorId));
    }

    [Fact]
    public async Task NonStatusBodyStillMapsByCode()
    {
        using var fx = new GatewayFixture((_, _) => FakeApiHandler.Json(System.Net.HttpStatusCode.Forbidden, "<html>proxy says no</html>"), new RetryOptions { MaxAttempts = 1 });
        var e = await Assert.ThrowsAsync<ClydeException>(() => fx.Gateway.ListNodesAsync(null, CancellationToken.None));
        Assert.Equal("ClydeApiForbidden", e.ErrorId);
        Assert.Null(e.ServerMessage);
    }
}
