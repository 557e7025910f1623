using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Flex;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>
/// Removes the flex webhook (configuration first, so no pod is blocked meanwhile), its Deployment, Service, Secret and RBAC;
/// the CRD, and with it every FlexDaemonsetTemplate, only with -IncludeCrd after confirming.
/// </summary>
[Cmdlet(VerbsLifecycle.Uninstall, "ClydeFlexWebhook", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class UninstallClydeFlexWebhookCommand : ClydeClusterCmdletBase
{
    /// <summary>Namespace the webhook was installed in.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string Namespace { get; set; } = FlexNames.DefaultNamespace;

    /// <summary>Also deletes the CRD and so every FlexDaemonsetTemplate.</summary>
    [Parameter]
    public SwitchParameter IncludeCrd { get; set; }

    /// <summary>Deletes the CRD without the extra confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord() => Guard(() =>
    {
        var gateway = Gateway;
        foreach (var (kind, ns, name) in FlexInstaller.UninstallTargets(Namespace, IncludeCrd))
        {
            string display = ns is null ? $"{kind} {name}" : $"{kind} {ns}/{name}";
            if (!ShouldProcess(display, "Delete"))
            {
                continue;
            }

            if (kind == "CustomResourceDefinition" && !Force &&
                !ShouldContinue($"Deleting {FlexNames.CrdName} deletes every FlexDaemonsetTemplate in the cluster. Continue?", "Delete the FlexDaemonsetTemplate CRD"))
            {
                continue;
            }

            bool deleted = Run(ct => FlexInstaller.DeleteAsync(gateway, kind, ns, name, ct));
            WriteVerbose(deleted ? $"Deleted {display}." : $"{display} was not there.");
        }

        string nsName = Namespace;
        if (Run(ct => FlexInstaller.NamespaceOwnedAsync(gateway, nsName, ct)) && ShouldProcess($"Namespace {nsName}", "Delete"))
        {
            Run(ct => FlexInstaller.DeleteAsync(gateway, "Namespace", null, nsName, ct));
            WriteVerbose($"Deleted namespace {nsName} (created by Install-ClydeFlexWebhook).");
        }
    });
}
