namespace ClydePS.Lab.Patch;

/// <summary>
/// The strategic-merge-patch facts of a kind: for list fields, by dotted path from the object root
/// (array levels skipped, e.g. <c>spec.containers.ports</c>), whether the list merges and by which key
/// (the Go types' <c>patchStrategy:"merge"</c> and <c>patchMergeKey</c> tags). Lists not listed are atomic.
/// </summary>
public sealed class PatchSchema
{
    /// <summary>path -> merge key (empty string: a merged list of primitives).</summary>
    readonly Dictionary<string, string> _merge;

    public PatchSchema(Dictionary<string, string> merge) => _merge = merge;
    public static readonly PatchSchema Empty = new(new());

    public bool TryGetMergeKey(string path, out string key) => _merge.TryGetValue(path, out key!);

    /// <summary>The metadata list strategies every kind shares.</summary>
    public static Dictionary<string, string> MetadataEntries() => new()
    {
        ["metadata.finalizers"] = "",
        ["metadata.ownerReferences"] = "uid",
    };

    /// <summary>Container (and ephemeral/init container) strategies, under the given prefix.</summary>
    public static void AddContainer(Dictionary<string, string> m, string prefix)
    {
        m[prefix] = "name";
        m[prefix + ".ports"] = "containerPort";
        m[prefix + ".env"] = "name";
        m[prefix + ".volumeMounts"] = "mountPath";
        m[prefix + ".volumeDevices"] = "devicePath";
    }

    /// <summary>Pod spec strategies (core/v1 PodSpec) under the given prefix ("spec" or "spec.template.spec").</summary>
    public static void AddPodSpec(Dictionary<string, string> m, string prefix)
    {
        AddContainer(m, prefix + ".containers");
        AddContainer(m, prefix + ".initContainers");
        AddContainer(m, prefix + ".ephemeralContainers");
        m[prefix + ".volumes"] = "name";
        m[prefix + ".imagePullSecrets"] = "name";
        m[prefix + ".hostAliases"] = "ip";
        m[prefix + ".topologySpreadConstraints"] = "topologyKey";
        m[prefix + ".resourceClaims"] = "name";
        m[prefix + ".schedulingGates"] = "name";
    }
}
