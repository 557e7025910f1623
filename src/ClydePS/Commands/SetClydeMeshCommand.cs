using System.Collections;
using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Mesh;
using ClydePS.Engine.Rollout;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>
/// Changes a mesh's settings (replicas, ports, image, ...): updates the ConfigMap's peer list and the StatefulSet, whose
/// pod template carries the peer configuration's hash, so the controller restarts the pods highest ordinal first and
/// every peer sees the new list. Settings not given keep their current values.
/// </summary>
[Cmdlet(VerbsCommon.Set, "ClydeMesh", SupportsShouldProcess = true)]
[OutputType(typeof(ClydeMesh))]
public sealed class SetClydeMeshCommand : ClydeMeshCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = null!;

    /// <summary>The mesh's namespace; default a namespace named after the mesh.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Image { get; set; }

    [Parameter]
    public int? Replicas { get; set; }

    [Parameter]
    public int? MeshPort { get; set; }

    [Parameter]
    public int? AppPort { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ClusterId { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LogLevel { get; set; }

    [Parameter]
    [AllowEmptyCollection]
    public string[]? Args { get; set; }

    [Parameter]
    [ValidateSet("LoadBalancer", "NodePort", "None")]
    public string? ExternalService { get; set; }

    [Parameter]
    public Hashtable? Resources { get; set; }

    [Parameter]
    [ValidateSet("InitContainer", "None")]
    public string? PeerWait { get; set; }

    [Parameter]
    public SwitchParameter Wait { get; set; }

    [Parameter]
    [Duration]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);

    protected override void ProcessRecord() => Guard(() =>
    {
        RequirePositiveTimeout(Timeout);

        var (requests, limits) = ParseResources(Resources);
        string ns = Namespace ?? Name;
        // Check the given values alone first (distinct stand-ins for the ports not given), so bad input is rejected before
        // the cluster is contacted; the merged settings are checked again below.
        int meshPort = MeshPort ?? (AppPort == 65000 ? 65001 : 65000);
        int appPort = AppPort ?? (meshPort == 65002 ? 65003 : 65002);
        var probe = new MeshRequest { Name = Name, Namespace = ns, Image = Image ?? "busybox", Replicas = Replicas ?? 1, MeshPort = meshPort, AppPort = appPort,
            ClusterId = ClusterId, LogLevel = LogLevel ?? "INFO", ExternalService = ExternalService ?? "None", PeerWait = PeerWait ?? "None", Requests = requests, Limits = limits };
        MeshManifest.Validate(probe);

        var gateway = Gateway;
        MeshRequest current = Run(ct => MeshService.ReadRequestAsync(gateway, ns, Name, ct));
        MeshObjects mesh = MeshService.Prepare(current with
        {
            Image = Image ?? current.Image,
            Replicas = Replicas ?? current.Replicas,
            MeshPort = MeshPort ?? current.MeshPort,
            AppPort = AppPort ?? current.AppPort,
            ClusterId = ClusterId ?? current.ClusterId,
            LogLevel = LogLevel ?? current.LogLevel,
            Args = Args ?? current.Args,
            ExternalService = ExternalService ?? current.ExternalService,
            Requests = requests ?? current.Requests,
            Limits = limits ?? current.Limits,
            PeerWait = PeerWait ?? current.PeerWait,
        });
        ApplyAndWrite(mesh, "Set-ClydeMesh", Wait, Timeout);
    });
}
