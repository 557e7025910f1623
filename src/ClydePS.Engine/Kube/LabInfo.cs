using System.Collections;
using System.Globalization;
using k8s.KubeConfigModels;

namespace ClydePS.Engine.Kube;

/// <summary>
/// What a Lab cluster says about itself in its kubeconfig cluster entry
/// (<c>extensions: [{name: clydeps.io/lab, extension: {timeScale: K, ...}}]</c>).
/// <see cref="TimeScale"/> is how many simulated seconds pass per real second (1 when not given).
/// </summary>
public sealed record LabInfo(double TimeScale, IReadOnlyDictionary<string, string> Properties)
{
    public const string ExtensionName = "clydeps.io/lab";

    /// <summary>
    /// The Lab's kubelet records on ClydePS seed pods where a container's image bytes came from:
    /// <c>lab.clydeps.io/pulled.&lt;container&gt;: registry=&lt;bytes&gt;,peers=&lt;bytes&gt;</c> (a real cluster does not say).
    /// </summary>
    public const string PulledBytesAnnotationPrefix = "lab.clydeps.io/pulled.";

    /// <summary>The annotation value for a pull's bytes by source.</summary>
    public static string FormatPulledBytes(long registry, long peers) =>
        string.Create(CultureInfo.InvariantCulture, $"registry={registry},peers={peers}");

    /// <summary>Reads a container's pulled bytes by source from a pod's annotations; null when the Lab did not record them.</summary>
    public static (long Registry, long Peers)? PulledBytes(IDictionary<string, string>? annotations, string container)
    {
        if (annotations is null || !annotations.TryGetValue(PulledBytesAnnotationPrefix + container, out var value))
        {
            return null;
        }
        long? registry = null, peers = null;
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = part.Split('=', 2);
            if (kv.Length == 2 && long.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                if (kv[0] == "registry") registry = n;
                else if (kv[0] == "peers") peers = n;
            }
        }
        return registry is { } r && peers is { } p ? (r, p) : null;
    }

    /// <summary>The Lab's OCI registry mirror (its base URL; containerd-style <c>/v2/...?ns=&lt;host&gt;</c>), or null.</summary>
    public string? RegistryMirror => Properties.TryGetValue("registryMirror", out var m) && m.Length > 0 ? m : null;

    /// <summary>Reads the Lab extension of a cluster entry; null when the cluster is not a Lab.</summary>
    /// <exception cref="FormatException">timeScale is not a positive number.</exception>
    internal static LabInfo? FromExtensions(IEnumerable<NamedExtension>? extensions)
    {
        var lab = extensions?.FirstOrDefault(e => e?.Name == ExtensionName);
        if (lab is null)
        {
            return null;
        }
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        if (lab.Extension is IDictionary map)
        {
            foreach (DictionaryEntry entry in map)
            {
                var key = Convert.ToString(entry.Key, CultureInfo.InvariantCulture);
                if (key is not null && entry.Value is not IDictionary and not IList)
                {
                    properties[key] = Convert.ToString(entry.Value, CultureInfo.InvariantCulture) ?? string.Empty;
                }
            }
        }
        var timeScale = 1.0;
        if (properties.TryGetValue("timeScale", out var text))
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out timeScale) || !(timeScale > 0) || double.IsInfinity(timeScale))
            {
                throw new FormatException($"timeScale '{text}' of the {ExtensionName} extension is not a positive number");
            }
        }
        return new LabInfo(timeScale, properties);
    }
}
