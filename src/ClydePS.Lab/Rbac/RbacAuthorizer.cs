using ClydePS.Lab.Auth;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Rbac;

/// <summary>The outcome of an authorisation check, with the RBAC reason text the real authorizer gives.</summary>
public sealed record Decision(bool Allowed, string Reason);

/// <summary>
/// The RBAC authorizer (no aggregation): ClusterRoleBindings grant their ClusterRole's rules everywhere,
/// RoleBindings grant their Role's or ClusterRole's rules in their namespace; rules match on verbs, API
/// groups, resources (with subresources and '*'), resourceNames, and non-resource URLs (with trailing '*').
/// Members of system:masters are always allowed, as the real server's privileged group is.
/// </summary>
public sealed class RbacAuthorizer(ObjectStore store)
{
    ResourceDefinition Def(string plural) => store.Registry.Get(RbacResources.Group, "v1", plural);

    public static bool IsMaster(LabUser user) => user.Groups.Contains("system:masters");

    static bool SubjectMatches(Rbacv1Subject s, LabUser user, string bindingNamespace) => s.Kind switch
    {
        "User" => s.Name == user.Name,
        "Group" => user.Groups.Contains(s.Name),
        "ServiceAccount" => user.Name == $"system:serviceaccount:{(string.IsNullOrEmpty(s.NamespaceProperty) ? bindingNamespace : s.NamespaceProperty)}:{s.Name}",
        _ => false,
    };

    static bool Has(IList<string>? list, string value) => list is not null && (list.Contains("*") || list.Contains(value));

    static bool RuleAllows(V1PolicyRule r, RequestInfo a)
    {
        if (!Has(r.Verbs, a.Verb)) return false;
        if (!a.IsResourceRequest)
        {
            foreach (var u in r.NonResourceURLs ?? [])
            {
                if (u == "*" || u == a.Path) return true;
                if (u.EndsWith('*') && a.Path.StartsWith(u[..^1], StringComparison.Ordinal)) return true;
            }
            return false;
        }
        if (!Has(r.ApiGroups, a.ApiGroup)) return false;
        var combined = a.ResourceWithSubresource;
        var resourceOk = false;
        foreach (var res in r.Resources ?? [])
        {
            if (res == "*" || res == combined) { resourceOk = true; break; }
            if (a.Subresource.Length > 0 && res == "*/" + a.Subresource) { resourceOk = true; break; }
        }
        if (!resourceOk) return false;
        if (r.ResourceNames is { Count: > 0 } names) return a.Name.Length > 0 && names.Contains(a.Name);
        return true;
    }

    IList<V1PolicyRule>? Rules(V1RoleRef roleRef, string ns)
    {
        if (roleRef.Kind == "ClusterRole") return (store.Get(Def("clusterroles"), "", roleRef.Name)?.Object as V1ClusterRole)?.Rules;
        return (store.Get(Def("roles"), ns, roleRef.Name)?.Object as V1Role)?.Rules;
    }

    static string Describe(LabUser user, Rbacv1Subject s) => s.Kind switch
    {
        "ServiceAccount" => $"ServiceAccount \"{s.Name}/{s.NamespaceProperty}\"",
        _ => $"{s.Kind} \"{s.Name}\"",
    };

    public Decision Authorize(LabUser user, RequestInfo a)
    {
        if (IsMaster(user)) return new Decision(true, "");
        foreach (var o in store.List(Def("clusterrolebindings"), null).Items)
        {
            var b = (V1ClusterRoleBinding)o.Object;
            var subject = b.Subjects?.FirstOrDefault(s => SubjectMatches(s, user, ""));
            if (subject is null || b.RoleRef is null) continue;
            if (Rules(b.RoleRef, "")?.Any(r => RuleAllows(r, a)) == true)
                return new Decision(true, $"RBAC: allowed by ClusterRoleBinding \"{b.Metadata.Name}\" of ClusterRole \"{b.RoleRef.Name}\" to {Describe(user, subject)}");
        }
        if (a.IsResourceRequest && a.Namespace.Length > 0)
        {
            foreach (var o in store.List(Def("rolebindings"), a.Namespace).Items)
            {
                var b = (V1RoleBinding)o.Object;
                var subject = b.Subjects?.FirstOrDefault(s => SubjectMatches(s, user, a.Namespace));
                if (subject is null || b.RoleRef is null) continue;
                if (Rules(b.RoleRef, a.Namespace)?.Any(r => r.NonResourceURLs is not { Count: > 0 } && RuleAllows(r, a)) == true)
                    return new Decision(true, $"RBAC: allowed by RoleBinding \"{b.Metadata.Name}/{a.Namespace}\" of {b.RoleRef.Kind} \"{b.RoleRef.Name}\" to {Describe(user, subject)}");
            }
        }
        return new Decision(false, "");
    }

    /// <summary>The 403 the real server answers a denied request with.</summary>
    public static ApiException Forbidden(LabUser user, RequestInfo a)
    {
        if (!a.IsResourceRequest)
            return new ApiException(403, "Forbidden", $"forbidden: User \"{user.Name}\" cannot {a.Verb} path \"{a.Path}\"");
        var what = a.Namespace.Length > 0
            ? $"User \"{user.Name}\" cannot {a.Verb} resource \"{a.ResourceWithSubresource}\" in API group \"{a.ApiGroup}\" in the namespace \"{a.Namespace}\""
            : $"User \"{user.Name}\" cannot {a.Verb} resource \"{a.ResourceWithSubresource}\" in API group \"{a.ApiGroup}\" at the cluster scope";
        var qualified = a.ApiGroup.Length == 0 ? a.Resource : a.Resource + "." + a.ApiGroup;
        var message = a.Name.Length > 0 ? $"{qualified} \"{a.Name}\" is forbidden: {what}" : $"{qualified} is forbidden: {what}";
        return new ApiException(403, "Forbidden", message) { DetailName = a.Name, DetailGroup = a.ApiGroup, DetailKind = a.Resource };
    }
}
