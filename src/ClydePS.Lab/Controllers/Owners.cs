using System.Text;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Controllers;

/// <summary>Shared controller helpers: label selectors, owner references, node fit (affinity, taints), revision hashes.</summary>
public static class Owners
{
    public static bool SelectorMatches(V1LabelSelector? s, IDictionary<string, string>? labels)
    {
        if (s is null) return false;
        labels ??= new Dictionary<string, string>();
        foreach (var (k, v) in s.MatchLabels ?? new Dictionary<string, string>())
            if (!labels.TryGetValue(k, out var lv) || lv != v) return false;
        foreach (var e in s.MatchExpressions ?? [])
        {
            var has = labels.TryGetValue(e.Key, out var lv);
            var ok = e.OperatorProperty switch
            {
                "In" => has && (e.Values ?? []).Contains(lv!),
                "NotIn" => !has || !(e.Values ?? []).Contains(lv!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }

    public static V1OwnerReference ControllerRef(IKubernetesObject<V1ObjectMeta> owner, string apiVersion, string kind) => new()
    {
        ApiVersion = apiVersion, Kind = kind, Name = owner.Metadata.Name, Uid = owner.Metadata.Uid, Controller = true, BlockOwnerDeletion = true,
    };

    public static V1OwnerReference? ControllerOf(IKubernetesObject<V1ObjectMeta> o) =>
        o.Metadata.OwnerReferences?.FirstOrDefault(r => r.Controller == true);

    public static bool IsOwnedBy(IKubernetesObject<V1ObjectMeta> o, string uid) => ControllerOf(o)?.Uid == uid;

    // ---- node fit ----

    static bool MatchRequirement(V1NodeSelectorRequirement r, Func<string, string?> get)
    {
        var v = get(r.Key);
        return r.OperatorProperty switch
        {
            "In" => v is not null && (r.Values ?? []).Contains(v),
            "NotIn" => v is null || !(r.Values ?? []).Contains(v),
            "Exists" => v is not null,
            "DoesNotExist" => v is null,
            "Gt" => v is not null && long.TryParse(v, out var a) && long.TryParse(r.Values?.FirstOrDefault(), out var b) && a > b,
            "Lt" => v is not null && long.TryParse(v, out var c) && long.TryParse(r.Values?.FirstOrDefault(), out var d) && c < d,
            _ => false,
        };
    }

    /// <summary>nodeSelector and required node affinity (matchExpressions on labels, matchFields on metadata.name).</summary>
    public static bool NodeMatchesSelectorAndAffinity(V1PodSpec spec, V1Node node)
    {
        var labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        foreach (var (k, v) in spec.NodeSelector ?? new Dictionary<string, string>())
            if (!labels.TryGetValue(k, out var lv) || lv != v) return false;
        var terms = spec.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms;
        if (terms is null || terms.Count == 0) return true;
        foreach (var t in terms)
        {
            if ((t.MatchExpressions?.Count ?? 0) == 0 && (t.MatchFields?.Count ?? 0) == 0) continue;
            var ok = (t.MatchExpressions ?? []).All(r => MatchRequirement(r, k => labels.TryGetValue(k, out var x) ? x : null)) &&
                     (t.MatchFields ?? []).All(r => MatchRequirement(r, k => k == "metadata.name" ? node.Metadata.Name : null));
            if (ok) return true;
        }
        return false;
    }

    public static bool Tolerates(IEnumerable<V1Toleration>? tolerations, V1Taint taint)
    {
        foreach (var t in tolerations ?? [])
        {
            if (!string.IsNullOrEmpty(t.Effect) && t.Effect != taint.Effect) continue;
            if (string.IsNullOrEmpty(t.Key)) { if (t.OperatorProperty == "Exists") return true; continue; }
            if (t.Key != taint.Key) continue;
            if (t.OperatorProperty == "Exists") return true;
            if ((t.Value ?? "") == (taint.Value ?? "")) return true;
        }
        return false;
    }

    /// <summary>The first NoSchedule/NoExecute taint the pod does not tolerate, or null.</summary>
    public static V1Taint? UntoleratedTaint(V1PodSpec spec, V1Node node) =>
        node.Spec?.Taints?.FirstOrDefault(t => t.Effect is "NoSchedule" or "NoExecute" && !Tolerates(spec.Tolerations, t));

    // ---- hashes (controller.ComputeHash: fnv32a of the template, then rand.SafeEncodeString) ----

    const string SafeAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static string SafeEncode(string s)
    {
        var r = new char[s.Length];
        for (var i = 0; i < s.Length; i++) r[i] = SafeAlphabet[s[i] % SafeAlphabet.Length];
        return new string(r);
    }

    public static string TemplateHash(V1PodTemplateSpec template, int? collisionCount = null)
    {
        uint h = 2166136261;
        foreach (var b in Encoding.UTF8.GetBytes(KubernetesJson.Serialize(template) + (collisionCount is int c && c > 0 ? c.ToString() : "")))
        {
            h ^= b;
            h *= 16777619;
        }
        return SafeEncode(h.ToString());
    }

    /// <summary>intstr.GetScaledValueFromIntOrPercent.</summary>
    public static int Scaled(IntOrString? v, int total, bool roundUp)
    {
        if (v is null) return 0;
        var s = v.Value;
        if (s.EndsWith('%') && int.TryParse(s[..^1], out var pct))
            return roundUp ? (int)Math.Ceiling(pct * total / 100.0) : (int)Math.Floor(pct * total / 100.0);
        return int.TryParse(s, out var n) ? n : 0;
    }
}
