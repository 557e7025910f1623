using System.Management.Automation;
using ClydePS.Engine.Lab;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>Stops Labs started with Start-ClydeLab and removes the files they wrote.</summary>
[Cmdlet(VerbsLifecycle.Stop, "ClydeLab", SupportsShouldProcess = true, DefaultParameterSetName = "Lab")]
[OutputType(typeof(void))]
public sealed class StopClydeLabCommand : ClydeCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "Lab")]
    [ValidateNotNull]
    public ClydeLab[] Lab { get; set; } = [];

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "ProcessId")]
    public int[] ProcessId { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = "All")]
    public SwitchParameter All { get; set; }

    protected override void ProcessRecord()
    {
        IEnumerable<ClydeLab> labs = ParameterSetName switch
        {
            "All" => LabLauncher.StartedLabs,
            "ProcessId" => ProcessId.Select(FindByProcessId).OfType<ClydeLab>(),
            _ => Lab,
        };

        foreach (ClydeLab lab in labs)
        {
            if (ShouldProcess($"Lab {lab.Url} (process {lab.ProcessId})", "Stop"))
            {
                WriteVerbose(LabLauncher.Stop(lab) ? $"Stopped the Lab at {lab.Url}." : $"The Lab at {lab.Url} had already exited; its files are removed.");
            }
        }
    }

    private ClydeLab? FindByProcessId(int pid)
    {
        ClydeLab? lab = LabLauncher.StartedLabs.FirstOrDefault(l => l.ProcessId == pid);
        if (lab == null)
        {
            WriteClydeError(new ClydeException(ClydeErrorKind.NotFound, "ClydeLabNotFound",
                $"No Lab started by this session runs as process {pid}. Labs started here: {string.Join(", ", LabLauncher.StartedLabs.Select(l => l.ProcessId)).NullIfEmpty() ?? "none"}.",
                pid));
        }

        return lab;
    }
}

internal static class StringExtensions
{
    public static string? NullIfEmpty(this string s) => s.Length == 0 ? null : s;
}
