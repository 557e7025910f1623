using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Flex;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>
/// Installs the flex resources webhook: the FlexDaemonsetTemplate CRD, RBAC, a TLS Secret from a CA and serving certificate
/// generated here, the Deployment and Service (or an outside endpoint with -WebhookUrl), and the MutatingWebhookConfiguration
/// with the CA bundle filled in. Idempotent; re-running renews the certificate when it is near expiry.
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "ClydeFlexWebhook", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ClydeFlexWebhook), typeof(string))]
public sealed class InstallClydeFlexWebhookCommand : ClydeClusterCmdletBase
{
    private const int ProgressId = 9101;

    /// <summary>Namespace of the webhook's objects.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string Namespace { get; set; } = FlexNames.DefaultNamespace;

    /// <summary>The webhook image the Deployment runs.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Image { get; set; } = FlexNames.DefaultImage;

    /// <summary>What the API server does with an opted-in pod when the webhook cannot be called.</summary>
    [Parameter]
    [ValidateSet("Fail", "Ignore")]
    public string FailurePolicy { get; set; } = "Fail";

    /// <summary>An https URL of a webhook running outside the cluster (no Deployment or Service then).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? WebhookUrl { get; set; }

    /// <summary>How long the API server waits for the webhook, 1-30 seconds.</summary>
    [Parameter]
    [ValidateRange(1, 30)]
    public int TimeoutSeconds { get; set; } = 5;

    /// <summary>Writes the manifests as YAML instead of applying them.</summary>
    [Parameter]
    public SwitchParameter AsManifest { get; set; }

    protected override void ProcessRecord() => Guard(() =>
    {
        Uri? url = null;
        if (WebhookUrl is not null && !Uri.TryCreate(WebhookUrl, UriKind.Absolute, out url))
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, FlexErrorIds.InvalidWebhookUrl, $"WebhookUrl '{WebhookUrl}' is not an absolute URL.", WebhookUrl);
        }

        var options = new FlexInstallOptions
        {
            Namespace = Namespace,
            Image = Image,
            FailurePolicy = FailurePolicy,
            WebhookUrl = url,
            TimeoutSeconds = TimeoutSeconds,
        };
        FlexInstaller.Validate(options);

        if (AsManifest)
        {
            var offline = FlexInstaller.Build(options, FlexCertificateSet.Issue(FlexInstaller.Hosts(options), options.CertificateValidity), issued: true);
            WriteObject(offline.ToYaml());
            return;
        }

        var gateway = Gateway;
        FlexInstallPlan plan = Run(ct => FlexInstaller.PlanAsync(gateway, options, gateway.TimeProvider, ct));
        WriteVerbose(plan.CertificateIssued
            ? $"Issued a new CA and serving certificate for {string.Join(", ", FlexInstaller.Hosts(options))}, valid until {plan.Certificates.NotAfter:u}."
            : $"Keeping the serving certificate in {Namespace}/{FlexNames.SecretName} (valid until {plan.Certificates.NotAfter:u}).");

        var done = new List<string>();
        for (int i = 0; i < plan.Objects.Count; i++)
        {
            FlexObject o = plan.Objects[i];
            WriteProgress(new ProgressRecord(ProgressId, "Installing the flex webhook", o.Display) { PercentComplete = i * 100 / plan.Objects.Count });
            if (!ShouldProcess(o.Display, "Create or update"))
            {
                done.Add($"{o.Display}: not applied");
                continue;
            }

            string what = Run(ct => FlexInstaller.ApplyAsync(gateway, o, ct));
            WriteVerbose($"{o.Display}: {what}.");
            done.Add($"{o.Display}: {what}");
        }

        WriteProgress(new ProgressRecord(ProgressId, "Installing the flex webhook", "Done") { RecordType = ProgressRecordType.Completed });
        WriteObject(new ClydeFlexWebhook
        {
            Name = FlexNames.WebhookConfigurationName,
            Namespace = Namespace,
            Endpoint = plan.Endpoint,
            FailurePolicy = FailurePolicy,
            Image = url is null ? Image : null,
            CertificateNotAfter = plan.Certificates.NotAfter,
            CertificateIssued = plan.CertificateIssued,
            Secret = $"{Namespace}/{FlexNames.SecretName}",
            Objects = done.ToArray(),
        });
    });
}
