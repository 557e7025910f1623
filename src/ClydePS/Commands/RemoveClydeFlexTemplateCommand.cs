using System.Management.Automation;
using ClydePS.Engine.Flex;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>Deletes FlexDaemonsetTemplates. Pods already running keep their resources; new pods of DaemonSets naming a deleted template are admitted unchanged, with a warning.</summary>
[Cmdlet(VerbsCommon.Remove, "ClydeFlexTemplate", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class RemoveClydeFlexTemplateCommand : ClydeClusterCmdletBase
{
    /// <summary>The templates to delete.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    protected override void ProcessRecord() => Guard(() =>
    {
        var gateway = Gateway;
        foreach (string name in Name)
        {
            if (!ShouldProcess($"FlexDaemonsetTemplate {name}", "Delete"))
            {
                continue;
            }

            if (!Run(ct => FlexTemplates.DeleteAsync(gateway, name, ct)))
            {
                WriteClydeError(new ClydeException(ClydeErrorKind.NotFound, FlexErrorIds.TemplateNotFound,
                    $"FlexDaemonsetTemplate '{name}' was not found.", name));
            }
            else
            {
                WriteVerbose($"Deleted FlexDaemonsetTemplate {name}.");
            }
        }
    });
}
