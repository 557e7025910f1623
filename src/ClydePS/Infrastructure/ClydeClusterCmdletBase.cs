using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Kube;

namespace ClydePS.Infrastructure;

/// <summary>
/// Base of every cmdlet that talks to a cluster: owns -Kubeconfig and -Context and connects once per
/// invocation. Retries that persist reach the user as warnings.
/// </summary>
public abstract class ClydeClusterCmdletBase : ClydeCmdletBase
{
    private ClusterGateway? gateway;

    /// <summary>Kubeconfig files; default: $env:KUBECONFIG (merged), else ~/.kube/config, else in-cluster.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Kubeconfig { get; set; }

    /// <summary>The kubeconfig context to use; default: the current context.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ContextCompleter))]
    public string? Context { get; set; }

    /// <summary>The connection, made on first use so bad input is rejected before any request.</summary>
    protected ClusterGateway Gateway
    {
        get
        {
            if (gateway == null)
            {
                var options = new KubeconfigOptions(Kubeconfig?.Select(ResolvePath).ToArray(), Context);
                gateway = ClusterGateway.Connect(options, new GatewayOptions { OnRetry = OnRetry });
                WriteVerbose($"Using context '{gateway.ContextName}' at {gateway.ServerUrl}.");
            }

            return gateway;
        }
    }

    protected void OnRetry(RetryNotice notice)
    {
        // A single retry is routine; say something only when the problem persists.
        string text = $"{notice.Operation}: {notice.Error.Message} Retrying in {notice.Delay.TotalSeconds:0.#} s " +
                      $"(attempt {notice.FailedAttempt + 1} of {notice.MaxAttempts}).";
        if (notice.FailedAttempt >= 2)
        {
            Post(() => WriteWarning(text));
        }
        else
        {
            Post(() => WriteVerbose(text));
        }
    }

    protected override void OnDispose() => gateway?.Dispose();
}
