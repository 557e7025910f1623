using System.Collections;
using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Mesh;
using ClydePS.Engine.Rollout;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>
/// Creates or updates (idempotently) a peer mesh: namespace, ConfigMap with the computed peer list, headless Service,
/// ordered StatefulSet with a DNS-waiting init container, and an external Service; with -Wait follows the ordered rollout.
/// </summary>
[Cmdlet(VerbsCommon.New, "ClydeMesh", SupportsShouldProcess = true)]
[OutputType(typeof(ClydeMesh))]
[OutputType(typeof(string))]
public sealed class NewClydeMeshCommand : ClydeMeshCmdletBase
{
    /// <summary>The mesh's name: the StatefulSet's, and the prefix of its Services and ConfigMap.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = null!;

    /// <summary>The peer daemon's container image.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Image { get; set; } = null!;

    /// <summary>Where the mesh lives; default a namespace named after the mesh (created and labelled when missing).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    [Parameter]
    public int Replicas { get; set; } = 3;

    [Parameter]
    public int MeshPort { get; set; } = 5671;

    [Parameter]
    public int AppPort { get; set; } = 5672;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ClusterId { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string LogLevel { get; set; } = "INFO";

    [Parameter]
    [AllowEmptyCollection]
    public string[]? Args { get; set; }

    [Parameter]
    [ValidateSet("LoadBalancer", "NodePort", "None")]
    public string ExternalService { get; set; } = "LoadBalancer";

    [Parameter]
    public Hashtable? Resources { get; set; }

    [Parameter]
    [ValidateSet("InitContainer", "None")]
    public string PeerWait { get; set; } = "InitContainer";

    [Parameter]
    public SwitchParameter AsManifest { get; set; }

    [Parameter]
    public SwitchParameter Wait { get; set; }

    [Parameter]
    [Duration]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);

    protected override void ProcessRecord() => Guard(() =>
    {
        RequirePositiveTimeout(Timeout);

        if (AsManifest && Wait)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeConflictingParameters",
                "-AsManifest writes the mesh as YAML and applies nothing, so there is no rollout for -Wait to wait for.", null);
        }

        var (requests, limits) = ParseResources(Resources);
        MeshObjects mesh = MeshService.Prepare(new MeshRequest
        {
            Name = Name,
            Namespace = Namespace ?? Name,
            Image = Image,
            Replicas = Replicas,
            MeshPort = MeshPort,
            AppPort = AppPort,
            ClusterId = ClusterId,
            LogLevel = LogLevel,
            Args = Args,
            ExternalService = ExternalService,
            Requests = requests,
            Limits = limits,
            PeerWait = PeerWait,
        });
        if (AsManifest)
        {
            // The namespace document only when the mesh has its own (the default): never relabel a namespace it shares.
            WriteObject(MeshService.ToYaml(mesh, includeNamespace: Namespace is null || Namespace == Name));
            return;
        }

        ApplyAndWrite(mesh, "New-ClydeMesh", Wait, Timeout);
    });
}
