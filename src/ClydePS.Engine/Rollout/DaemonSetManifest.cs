using System.Globalization;
using k8s;
using ClydePS.Engine.Seeding;
using k8s.Models;

namespace ClydePS.Engine.Rollout;

/// <summary>What <c>New-ClydeDaemonSet -Name -Image</c> asks for, in plain terms.</summary>
public sealed record DaemonSetRequest
{
    public required string Name { get; init; }
    public string Namespace { get; init; } = "default";
    public required string Image { get; init; }
    public IReadOnlyDictionary<string, string>? NodeSelector { get; init; }
    public IReadOnlyList<TolerationSpec>? Tolerations { get; init; }

    /// <summary>Names of kubernetes.io/dockerconfigjson secrets in <see cref="Namespace"/>.</summary>
    public IReadOnlyList<string>? ImagePullSecrets { get; init; }

    /// <summary>An integer (<c>1</c>) or a percentage (<c>25%</c>) of nodes; null for the server default (1).</summary>
    public string? MaxUnavailable { get; init; }

    /// <summary>Extra labels on the DaemonSet and its pods (never in the selector).</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>See <see cref="DaemonSetOverrides.FlexTemplate"/>.</summary>
    public string? FlexTemplate { get; init; }
}

/// <summary>The cmdlet parameters that change a DaemonSet loaded from a file; null leaves a field as the file has it.</summary>
public sealed record DaemonSetOverrides
{
    public string? Namespace { get; init; }
    public string? Image { get; init; }

    /// <summary>The container whose image <see cref="Image"/> replaces; default the first container.</summary>
    public string? Container { get; init; }

    /// <summary>Merged into the pod template's node selector (these keys win).</summary>
    public IReadOnlyDictionary<string, string>? NodeSelector { get; init; }

    /// <summary>Added to the pod template's tolerations (duplicates skipped).</summary>
    public IReadOnlyList<TolerationSpec>? Tolerations { get; init; }

    /// <summary>Added to the pod template's image pull secrets (duplicates skipped).</summary>
    public IReadOnlyList<string>? ImagePullSecrets { get; init; }

    public string? MaxUnavailable { get; init; }

    /// <summary>
    /// A FlexDaemonsetTemplate for the pods' resources: sets the pod template's label <c>flexdaemonsets.xai/enabled: "true"</c>
    /// (what the flex webhook's objectSelector matches) and the annotation <c>flexdaemonsets.xai/resource-template</c>.
    /// </summary>
    public string? FlexTemplate { get; init; }
}

/// <summary>One requirement of a required node affinity term (<c>matchExpressions</c>, or <c>matchFields</c> when <see cref="Field"/>).</summary>
public sealed record NodeRequirementInfo(string Key, string Operator, IReadOnlyList<string> Values, bool Field = false);

/// <summary>
/// Where a workload's pods may run and what they pull, in plain terms: what the seeding executor needs to choose
/// eligible nodes and to give seed pods the workload's namespace, pull secrets and tolerations.
/// </summary>
public sealed record WorkloadPlacementInfo
{
    public required string Namespace { get; init; }
    public required string Image { get; init; }
    public IReadOnlyDictionary<string, string> NodeSelector { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<TolerationSpec> Tolerations { get; init; } = [];

    /// <summary>requiredDuringSchedulingIgnoredDuringExecution: a node must match at least one term (all requirements of it).</summary>
    public IReadOnlyList<IReadOnlyList<NodeRequirementInfo>> RequiredNodeAffinity { get; init; } = [];
    public IReadOnlyList<string> ImagePullSecrets { get; init; } = [];

    /// <summary>
    /// The placement as the seeding engine's eligibility reads it; with <paramref name="daemonSet"/>, plus the tolerations
    /// the DaemonSet controller adds to every pod.
    /// </summary>
    public WorkloadPlacement ToPlacement(bool daemonSet = false) => new(
        NodeSelector,
        (daemonSet ? Tolerations.Concat(DaemonSetManifest.AutomaticTolerations) : Tolerations)
            .Select(t => t.ToFact()).ToList(),
        RequiredNodeAffinity.Select(term => (IReadOnlyList<NodeSelectorRequirementFact>)term
            .Select(r => new NodeSelectorRequirementFact(r.Key, r.Operator, r.Values)).ToList()).ToList());

    /// <summary>
    /// True when the workload's pod may run on a node with these labels and taints (<c>key=value:Effect</c> or
    /// <c>key:Effect</c> strings, as ClydeNode.Taints): node selector, required affinity, and NoSchedule/NoExecute
    /// taints against the tolerations (plus the tolerations the DaemonSet controller adds when <paramref name="daemonSet"/>),
    /// decided by <see cref="Eligibility"/> as for seeding.
    /// </summary>
    public bool CanRunOn(string nodeName, IReadOnlyDictionary<string, string> labels, IEnumerable<string> taints, bool daemonSet = true)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var node = new NodeFacts(nodeName, Ready: true, Unschedulable: false, labels, (taints ?? []).Select(ParseTaint).ToList(),
            Architecture: null, OperatingSystem: null, NetworkClass.Private, Zone: null, HoldsImage: false);
        return Eligibility.IneligibleReason(node, ToPlacement(daemonSet), [], null) is null;
    }

    private static TaintFact ParseTaint(string taint)
    {
        int colon = taint.LastIndexOf(':');
        string effect = colon >= 0 ? taint[(colon + 1)..] : "";
        string kv = colon >= 0 ? taint[..colon] : taint;
        int eq = kv.IndexOf('=');
        return eq >= 0 ? new TaintFact(kv[..eq], kv[(eq + 1)..], effect) : new TaintFact(kv, null, effect);
    }
}

/// <summary>
/// Builds, loads and adjusts the DaemonSets ClydePS applies. A built DaemonSet is minimal: selector <c>app=&lt;name&gt;</c>
/// (as clydectl's), labels <c>app=&lt;name&gt;</c>, <c>app.kubernetes.io/managed-by=ClydePS</c> and the stable owner label
/// <c>clydeps.io/daemonset=&lt;name&gt;</c> (never a per-run id, so re-running changes nothing), and one container named
/// after the DaemonSet.
/// </summary>
public static class DaemonSetManifest
{
    public const string AppLabel = "app";
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "ClydePS";
    public const string OwnerLabel = "clydeps.io/daemonset";

    /// <summary>The tolerations the DaemonSet controller adds to every daemon pod (hostNetwork aside).</summary>
    public static readonly IReadOnlyList<TolerationSpec> AutomaticTolerations =
    [
        new("node.kubernetes.io/not-ready", "Exists", null, "NoExecute"),
        new("node.kubernetes.io/unreachable", "Exists", null, "NoExecute"),
        new("node.kubernetes.io/disk-pressure", "Exists", null, "NoSchedule"),
        new("node.kubernetes.io/memory-pressure", "Exists", null, "NoSchedule"),
        new("node.kubernetes.io/pid-pressure", "Exists", null, "NoSchedule"),
        new("node.kubernetes.io/unschedulable", "Exists", null, "NoSchedule"),
    ];

    /// <exception cref="ClydeException">InvalidArgument for a bad name, image reference, selector, toleration or max unavailable.</exception>
    public static V1DaemonSet Build(DaemonSetRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        ValidateName(r.Name);
        ValidateNamespace(r.Namespace);
        Registry.ImageReference.Parse(r.Image);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in r.Labels ?? new Dictionary<string, string>())
        {
            var pair = LabelRules.CheckPair(k, v, $"{k}={v}");
            labels[pair.Key] = pair.Value;
        }

        labels[AppLabel] = r.Name;
        labels[ManagedByLabel] = ManagedByValue;
        labels[OwnerLabel] = r.Name;

        var ds = new V1DaemonSet
        {
            ApiVersion = "apps/v1",
            Kind = "DaemonSet",
            Metadata = new V1ObjectMeta { Name = r.Name, NamespaceProperty = r.Namespace, Labels = new Dictionary<string, string>(labels) },
            Spec = new V1DaemonSetSpec
            {
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [AppLabel] = r.Name } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string>(labels) },
                    Spec = new V1PodSpec
                    {
                        Containers = [new V1Container { Name = ContainerName(r.Name), Image = r.Image }],
                    },
                },
            },
        };
        ApplyOverrides(ds, new DaemonSetOverrides
        {
            NodeSelector = r.NodeSelector,
            Tolerations = r.Tolerations,
            ImagePullSecrets = r.ImagePullSecrets,
            MaxUnavailable = r.MaxUnavailable,
            FlexTemplate = r.FlexTemplate,
        });
        return ds;
    }

    /// <summary>
    /// Reads a YAML or JSON file that holds exactly one DaemonSet (apps/v1), and adds ClydePS's labels
    /// (<c>app.kubernetes.io/managed-by</c>, <c>clydeps.io/daemonset</c>) to its metadata.
    /// </summary>
    /// <exception cref="ClydeException">ClydeManifestNotFound when the file is missing; ClydeManifestInvalid otherwise.</exception>
    public static V1DaemonSet Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, RolloutErrorIds.ManifestNotFound, $"Manifest file '{path}' does not exist.", path);
        }

        string text = File.ReadAllText(path);
        List<object> objects;
        try
        {
            objects = KubernetesYaml.LoadAllFromString(text).Where(o => o is not null).ToList();
        }
        catch (Exception e) when (e is not ClydeException)
        {
            throw Invalid(path, $"it is not a Kubernetes manifest ({FirstLine(e.Message)})", e);
        }

        var kinds = objects.Select(o => o is IKubernetesObject k ? $"{k.ApiVersion}/{k.Kind}" : o.GetType().Name).ToList();
        if (objects.Count != 1 || objects[0] is not V1DaemonSet ds)
        {
            throw Invalid(path, objects.Count == 0
                ? "it holds no object"
                : $"it must hold exactly one apps/v1 DaemonSet, and holds {string.Join(", ", kinds)}");
        }

        if (ds.ApiVersion != "apps/v1")
        {
            throw Invalid(path, $"the DaemonSet's apiVersion is '{ds.ApiVersion}', not apps/v1");
        }

        if (string.IsNullOrEmpty(ds.Metadata?.Name))
        {
            throw Invalid(path, "the DaemonSet has no metadata.name");
        }

        ValidateName(ds.Metadata.Name);
        if (ds.Spec?.Template?.Spec?.Containers is not { Count: > 0 } containers)
        {
            throw Invalid(path, "the DaemonSet has no containers (spec.template.spec.containers)");
        }

        foreach (var c in containers)
        {
            if (string.IsNullOrEmpty(c.Image))
            {
                throw Invalid(path, $"container '{c.Name}' has no image");
            }
        }

        if (ds.Spec.Selector is null)
        {
            throw Invalid(path, "the DaemonSet has no spec.selector");
        }

        ds.Metadata.Labels ??= new Dictionary<string, string>();
        ds.Metadata.Labels[ManagedByLabel] = ManagedByValue;
        ds.Metadata.Labels[OwnerLabel] = ds.Metadata.Name;
        ds.Status = null;
        ds.Metadata.ResourceVersion = null;
        ds.Metadata.Uid = null;
        ds.Metadata.CreationTimestamp = null;
        ds.Metadata.Generation = null;
        ds.Metadata.ManagedFields = null;
        return ds;
    }

    /// <summary>Applies the cmdlet parameters to a DaemonSet (in place) and returns it.</summary>
    /// <exception cref="ClydeException">InvalidArgument for a bad value or an unknown container.</exception>
    public static V1DaemonSet ApplyOverrides(V1DaemonSet ds, DaemonSetOverrides o)
    {
        ArgumentNullException.ThrowIfNull(ds);
        ArgumentNullException.ThrowIfNull(o);
        var pod = ds.Spec.Template.Spec;
        if (o.Namespace is not null)
        {
            ValidateNamespace(o.Namespace);
            ds.Metadata.NamespaceProperty = o.Namespace;
        }

        if (o.Image is not null)
        {
            Registry.ImageReference.Parse(o.Image);
            var container = o.Container is null
                ? pod.Containers[0]
                : pod.Containers.FirstOrDefault(c => c.Name == o.Container) ?? throw new ClydeException(ClydeErrorKind.InvalidArgument,
                    RolloutErrorIds.ContainerNotFound,
                    $"DaemonSet {ds.Metadata.Name} has no container '{o.Container}'; it has {string.Join(", ", pod.Containers.Select(c => c.Name))}.", o.Container);
            container.Image = o.Image;
        }

        foreach (var c in pod.Containers.Concat(pod.InitContainers ?? []))
        {
            Registry.ImageReference.Parse(c.Image);
        }

        if (o.NodeSelector is { Count: > 0 })
        {
            pod.NodeSelector ??= new Dictionary<string, string>();
            foreach (var (k, v) in o.NodeSelector)
            {
                var pair = LabelRules.CheckPair(k, v, $"{k}={v}");
                pod.NodeSelector[pair.Key] = pair.Value;
            }
        }

        if (o.FlexTemplate is { } flex)
        {
            if (!LabelRules.IsWorkloadName(flex))
            {
                throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeInvalidFlexTemplate",
                    $"'{flex}' is not a valid FlexDaemonsetTemplate name (lowercase letters, digits and '-', at most 63 characters).", flex);
            }

            var meta = ds.Spec.Template.Metadata ??= new V1ObjectMeta();
            meta.Labels ??= new Dictionary<string, string>();
            meta.Labels[Flex.FlexNames.EnabledLabel] = Flex.FlexNames.EnabledValue;
            meta.Annotations ??= new Dictionary<string, string>();
            meta.Annotations[Flex.FlexNames.TemplateAnnotation] = flex;
        }

        if (o.Tolerations is { Count: > 0 })
        {
            pod.Tolerations ??= new List<V1Toleration>();
            foreach (var t in o.Tolerations)
            {
                if (!pod.Tolerations.Select(TolerationSpec.FromV1).Contains(t))
                {
                    pod.Tolerations.Add(t.ToV1());
                }
            }
        }

        if (o.ImagePullSecrets is { Count: > 0 })
        {
            pod.ImagePullSecrets ??= new List<V1LocalObjectReference>();
            foreach (string name in o.ImagePullSecrets)
            {
                if (!LabelRules.IsWorkloadName(name) && !(name.Length <= 253 && System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")))
                {
                    throw new ClydeException(ClydeErrorKind.InvalidArgument, RolloutErrorIds.InvalidName,
                        $"'{name}' is not a valid secret name (a DNS-1123 subdomain).", name);
                }

                if (!pod.ImagePullSecrets.Any(s => s.Name == name))
                {
                    pod.ImagePullSecrets.Add(new V1LocalObjectReference { Name = name });
                }
            }
        }

        if (o.MaxUnavailable is not null)
        {
            var value = ParseMaxUnavailable(o.MaxUnavailable);
            if (ds.Spec.UpdateStrategy?.Type == "OnDelete")
            {
                throw new ClydeException(ClydeErrorKind.InvalidArgument, RolloutErrorIds.InvalidMaxUnavailable,
                    $"DaemonSet {ds.Metadata.Name} uses the OnDelete update strategy, which has no max unavailable; leave out -MaxUnavailable or use RollingUpdate.",
                    o.MaxUnavailable);
            }

            ds.Spec.UpdateStrategy ??= new V1DaemonSetUpdateStrategy();
            ds.Spec.UpdateStrategy.Type = "RollingUpdate";
            ds.Spec.UpdateStrategy.RollingUpdate ??= new V1RollingUpdateDaemonSet();
            ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = value;
            var surge = ds.Spec.UpdateStrategy.RollingUpdate.MaxSurge?.Value;
            if (IsZero(value.Value) && (surge is null || IsZero(surge)))
            {
                throw new ClydeException(ClydeErrorKind.InvalidArgument, RolloutErrorIds.InvalidMaxUnavailable,
                    $"-MaxUnavailable {o.MaxUnavailable}: max unavailable may be 0 only when max surge is above 0, or the rollout could never replace a pod.",
                    o.MaxUnavailable);
            }
        }

        return ds;
    }

    /// <summary>Checks a max unavailable value (plain-typed, for the cmdlets); see <see cref="ParseMaxUnavailable"/>.</summary>
    public static void ValidateMaxUnavailable(string text) => ParseMaxUnavailable(text);

    /// <summary>Parses a max unavailable value: a non-negative integer or a percentage from 0% to 100%.</summary>
    /// <exception cref="ClydeException">InvalidArgument (ClydeInvalidMaxUnavailable).</exception>
    public static IntOrString ParseMaxUnavailable(string text)
    {
        string s = (text ?? "").Trim();
        if (s.EndsWith('%') && int.TryParse(s[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out int pct) && pct <= 100)
        {
            return (IntOrString)$"{pct}%";
        }

        if (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
        {
            return (IntOrString)n;
        }

        throw new ClydeException(ClydeErrorKind.InvalidArgument, RolloutErrorIds.InvalidMaxUnavailable,
            $"-MaxUnavailable '{text}' is not valid: use a non-negative number of nodes (1) or a percentage from 0% to 100% (25%).", text);
    }

    /// <summary>Where the DaemonSet's pods may run and what they pull (for the seeding executor).</summary>
    public static WorkloadPlacementInfo Placement(V1DaemonSet ds)
    {
        ArgumentNullException.ThrowIfNull(ds);
        var pod = ds.Spec?.Template?.Spec ?? new V1PodSpec();
        var terms = pod.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms ?? [];
        return new WorkloadPlacementInfo
        {
            Namespace = ds.Metadata?.NamespaceProperty ?? "default",
            Image = pod.Containers?.FirstOrDefault()?.Image ?? "",
            NodeSelector = new Dictionary<string, string>(pod.NodeSelector ?? new Dictionary<string, string>()),
            Tolerations = (pod.Tolerations ?? []).Select(TolerationSpec.FromV1).ToArray(),
            RequiredNodeAffinity = terms.Select(t => (IReadOnlyList<NodeRequirementInfo>)
                (t.MatchExpressions ?? []).Select(e => new NodeRequirementInfo(e.Key, e.OperatorProperty, (e.Values ?? []).ToArray()))
                .Concat((t.MatchFields ?? []).Select(e => new NodeRequirementInfo(e.Key, e.OperatorProperty, (e.Values ?? []).ToArray(), Field: true)))
                .ToArray()).ToArray(),
            ImagePullSecrets = (pod.ImagePullSecrets ?? []).Select(s => s.Name).Where(n => !string.IsNullOrEmpty(n)).ToArray(),
        };
    }

    /// <summary>The image of the first container.</summary>
    public static string ImageOf(V1DaemonSet ds) => ds.Spec?.Template?.Spec?.Containers?.FirstOrDefault()?.Image ?? "";

    /// <summary>True when the DaemonSet carries <c>app.kubernetes.io/managed-by=ClydePS</c>.</summary>
    public static bool IsManagedByClydePS(V1DaemonSet ds) =>
        ds.Metadata?.Labels is { } l && l.TryGetValue(ManagedByLabel, out var v) && v == ManagedByValue;

    public static void ValidateName(string name)
    {
        if (!LabelRules.IsWorkloadName(name ?? ""))
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, RolloutErrorIds.InvalidName,
                $"'{name}' is not a valid DaemonSet name: use at most 63 lowercase letters, digits, '-' or '.', starting and ending with a letter or digit.", name);
        }
    }

    public static void ValidateNamespace(string ns)
    {
        if (string.IsNullOrEmpty(ns) || ns.Length > 63 || !System.Text.RegularExpressions.Regex.IsMatch(ns, "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"))
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, RolloutErrorIds.InvalidName,
                $"'{ns}' is not a valid namespace name: use at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit.", ns);
        }
    }

    /// <summary>The container name for a DaemonSet name (a DNS-1123 label: dots become dashes).</summary>
    public static string ContainerName(string name) => name.Replace('.', '-');

    private static bool IsZero(string? v) => v is "0" or "0%";

    private static ClydeException Invalid(string path, string why, Exception? inner = null) =>
        new(ClydeErrorKind.InvalidArgument, RolloutErrorIds.ManifestInvalid, $"Manifest '{path}' is not usable: {why}.", path, inner);

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
