using System.Text;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Store;

/// <summary>
/// One stored object version. Immutable: <see cref="Object"/> must never be mutated (clone it with
/// <see cref="ResourceDefinition.Clone"/>); <see cref="Json"/> is the cached wire form.
/// </summary>
public sealed class StoredObject
{
    public ResourceDefinition Def { get; }
    public IKubernetesObject<V1ObjectMeta> Object { get; }
    public byte[] Json { get; }
    public long ResourceVersion { get; }
    public string Namespace => Object.Metadata.NamespaceProperty ?? "";
    public string Name => Object.Metadata.Name;
    public string Key => StoreKey(Namespace, Name);

    byte[]? _metadataJson;

    public StoredObject(ResourceDefinition def, IKubernetesObject<V1ObjectMeta> obj, long rv)
    {
        Def = def;
        Object = obj;
        ResourceVersion = rv;
        Json = Encoding.UTF8.GetBytes(KubernetesJson.Serialize(obj));
    }

    /// <summary>The object's metadata as JSON (for PartialObjectMetadata table rows), cached.</summary>
    public byte[] MetadataJson => _metadataJson ??= Encoding.UTF8.GetBytes(KubernetesJson.Serialize(Object.Metadata));

    public static string StoreKey(string ns, string name) => ns.Length == 0 ? name : ns + "/" + name;
}

public enum StoreEventType { Added, Modified, Deleted, Bookmark }

/// <summary>A change in the store. <see cref="Old"/> is the previous version for Modified and Deleted.</summary>
public sealed record StoreEvent(StoreEventType Type, ResourceDefinition Def, StoredObject? Object, StoredObject? Old, long ResourceVersion);
