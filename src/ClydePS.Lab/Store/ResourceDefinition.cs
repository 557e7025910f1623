using System.Reflection;
using System.Text.Json.Nodes;
using ClydePS.Lab.Tables;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Store;

/// <summary>Context handed to create-time admission (the mutations admission plugins make).</summary>
public sealed class AdmissionContext
{
    public required ObjectStore Store { get; init; }
    public required Random Random { get; init; }
}

/// <summary>
/// Everything the generic REST layer needs to serve one resource (group, version, plural). New kinds
/// are served by registering one of these in the <see cref="ResourceRegistry"/>.
/// </summary>
public sealed class ResourceDefinition
{
    public required string Group { get; init; }
    public required string Version { get; init; }
    public required string Plural { get; init; }
    public required string Singular { get; init; }
    public required string Kind { get; init; }
    public required bool Namespaced { get; init; }
    public required Type ClrType { get; init; }
    public string ListKind => Kind + "List";
    public string[] ShortNames { get; init; } = [];
    public string[] Categories { get; init; } = [];
    public string[] Verbs { get; init; } = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
    public string? StorageVersionHash { get; init; }
    /// <summary>True when the kind has a /status subresource (main-resource writes then keep the stored status).</summary>
    public bool HasStatus { get; init; }
    /// <summary>True when metadata.generation is maintained (bumped when anything but metadata/status changes).</summary>
    public bool TracksGeneration { get; init; }
    /// <summary>True when PUT may create a missing object.</summary>
    public bool AllowCreateOnUpdate { get; init; }
    /// <summary>True when DELETE answers with the deleted object (pods); else with a Success Status.</summary>
    public bool ReturnDeletedObject { get; init; }
    /// <summary>The propagation policy a DELETE without one uses (batch/v1 Jobs: Orphan); null = Background.</summary>
    public string? DefaultPropagationPolicy { get; init; }

    public ITableConverter? Table { get; init; }
    /// <summary>Field labels the field selector supports beyond metadata.name and metadata.namespace.</summary>
    public IReadOnlyDictionary<string, Func<IKubernetesObject<V1ObjectMeta>, string>> Fields { get; init; } =
        new Dictionary<string, Func<IKubernetesObject<V1ObjectMeta>, string>>();
    /// <summary>Defaulting applied on every decode of a write (like the real scheme defaulters).</summary>
    public Action<IKubernetesObject<V1ObjectMeta>>? Defaulter { get; init; }
    /// <summary>Strategy PrepareForCreate + mutating admission, on create only.</summary>
    public Action<IKubernetesObject<V1ObjectMeta>, AdmissionContext>? PrepareForCreate { get; init; }
    /// <summary>Validation: (new, old or null on create) -> causes.</summary>
    public Func<IKubernetesObject<V1ObjectMeta>, IKubernetesObject<V1ObjectMeta>?, List<StatusCause>>? Validator { get; init; }
    /// <summary>
    /// Structural pruning and defaulting of a decoded body before it is typed (custom resources): removes
    /// fields the schema does not know in place and returns their paths (reported as with fieldValidation).
    /// </summary>
    public Func<JsonObject, List<string>>? Pruner { get; init; }
    /// <summary>Strategic-merge-patch schema (merge keys per path).</summary>
    public Patch.PatchSchema PatchSchema { get; init; } = Patch.PatchSchema.Empty;

    Func<string, IKubernetesObject<V1ObjectMeta>>? _fromString;
    Func<JsonNode, IKubernetesObject<V1ObjectMeta>>? _fromNode;

    public IKubernetesObject<V1ObjectMeta> DeserializeString(string json)
    {
        if (_fromString is null) MakeDeserializers();
        return _fromString!(json);
    }

    public IKubernetesObject<V1ObjectMeta> DeserializeNode(JsonNode node)
    {
        if (_fromNode is null) MakeDeserializers();
        return _fromNode!(node);
    }

    void MakeDeserializers()
    {
        var m = typeof(ResourceDefinition).GetMethod(nameof(Deserializers), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(ClrType);
        var pair = ((Func<string, IKubernetesObject<V1ObjectMeta>>, Func<JsonNode, IKubernetesObject<V1ObjectMeta>>))m.Invoke(null, null)!;
        _fromNode = pair.Item2;
        _fromString = pair.Item1;
    }

    static (Func<string, IKubernetesObject<V1ObjectMeta>>, Func<JsonNode, IKubernetesObject<V1ObjectMeta>>) Deserializers<T>()
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        (s => KubernetesJson.Deserialize<T>(s), n => KubernetesJson.Deserialize<T>(n));

    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;
    public string GroupVersionPath => Group.Length == 0 ? "/api/" + Version : $"/apis/{Group}/{Version}";
    public string QualifiedResource => Group.Length == 0 ? Plural : Plural + "." + Group;

    PropertyInfo? _status;
    PropertyInfo? _spec;
    PropertyInfo? StatusProperty => _status ??= ClrType.GetProperty("Status");
    PropertyInfo? SpecProperty => _spec ??= ClrType.GetProperty("Spec");

    public object? GetStatus(object o) => StatusProperty?.GetValue(o);
    public void SetStatus(object o, object? v) => StatusProperty?.SetValue(o, v);
    public object? GetSpec(object o) => SpecProperty?.GetValue(o);

    public IKubernetesObject<V1ObjectMeta> Clone(IKubernetesObject<V1ObjectMeta> o) =>
        DeserializeString(KubernetesJson.Serialize(o));

    public override string ToString() => QualifiedResource;
}
