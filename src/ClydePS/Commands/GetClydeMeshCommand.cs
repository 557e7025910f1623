using System.Management.Automation;
using ClydePS.Completion;
using ClydePS.Engine.Mesh;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>Lists the peer meshes ClydePS manages (StatefulSets labelled <c>clydeps.io/mesh</c>), with their readiness.</summary>
[Cmdlet(VerbsCommon.Get, "ClydeMesh")]
[OutputType(typeof(ClydeMesh))]
public sealed class GetClydeMeshCommand : ClydeClusterCmdletBase
{
    /// <summary>Mesh names; wildcards allowed. Default: every mesh.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    /// <summary>Only meshes in this namespace. Default: all namespaces (a mesh's namespace defaults to its own name).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    protected override void ProcessRecord() => Guard(() =>
    {
        var gateway = Gateway;
        var meshes = Run(ct => MeshService.ListAsync(gateway, Namespace, ct));
        foreach (string pattern in Name ?? [])
        {
            if (!WildcardPattern.ContainsWildcardCharacters(pattern) && !meshes.Any(m => string.Equals(m.Name, pattern, StringComparison.Ordinal)))
            {
                WriteClydeError(new ClydeException(ClydeErrorKind.NotFound, MeshErrorIds.MeshNotFound,
                    $"There is no mesh '{pattern}'{(Namespace is null ? "" : $" in namespace '{Namespace}'")}.", pattern));
            }
        }

        var patterns = (Name ?? ["*"]).Select(n => new WildcardPattern(n, WildcardOptions.None)).ToList();
        foreach (var mesh in meshes.Where(m => patterns.Any(p => p.IsMatch(m.Name))))
        {
            WriteObject(mesh);
        }
    });
}
