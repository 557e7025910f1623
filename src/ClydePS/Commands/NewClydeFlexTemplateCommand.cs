using System.Management.Automation;
using ClydePS.Engine.Flex;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>Creates a FlexDaemonsetTemplate: a pod's share of each node's allocatable CPU, memory and ephemeral storage.</summary>
[Cmdlet(VerbsCommon.New, "ClydeFlexTemplate", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ClydeFlexTemplate), typeof(string))]
public sealed class NewClydeFlexTemplateCommand : ClydeClusterCmdletBase
{
    /// <summary>The template's name (cluster-scoped).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 100)]
    public int CpuPercentage { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 100)]
    public int MemoryPercentage { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 100)]
    public int StoragePercentage { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? MinCpu { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? MinMemory { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? MinStorage { get; set; }

    /// <summary>Writes the custom resource as YAML instead of creating it.</summary>
    [Parameter]
    public SwitchParameter AsManifest { get; set; }

    protected override void ProcessRecord() => Guard(() =>
    {
        var spec = new FlexTemplateSpec(CpuPercentage, MemoryPercentage, StoragePercentage, MinCpu, MinMemory, MinStorage);
        spec.Validate();
        if (AsManifest)
        {
            WriteObject(FlexTemplates.ManifestYaml(Name, spec));
            return;
        }

        if (!ShouldProcess($"FlexDaemonsetTemplate {Name} (cpu {CpuPercentage}%, memory {MemoryPercentage}%, ephemeral-storage {StoragePercentage}%)", "Create"))
        {
            return;
        }

        var gateway = Gateway;
        string name = Name;
        WriteObject(Run(ct => FlexTemplates.CreateAsync(gateway, name, spec, ct)));
    });
}
