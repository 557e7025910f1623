using ClydePS.Lab.Patch;
using ClydePS.Lab.Resources;
using ClydePS.Lab.Resources.Core;
using ClydePS.Lab.Store;
using ClydePS.Lab.Tables;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Rbac;

/// <summary>rbac.authorization.k8s.io/v1 Role, RoleBinding, ClusterRole, ClusterRoleBinding, and the bootstrap roles.</summary>
public static class RbacResources
{
    public const string Group = "rbac.authorization.k8s.io";

    /// <summary>ValidateRBACName: path-segment names (system:discovery is fine).</summary>
    public static string? NameError(string name) =>
        name is "." or ".." ? $"may not be '{name}'" : name.Contains('/') ? "may not contain '/'" : name.Contains('%') ? "may not contain '%'" : null;

    static readonly TableColumn CreatedAt = new("Created At", "date", SimpleTable.AgeDescription);

    static object[] RoleCells(IKubernetesObject<V1ObjectMeta> o, DateTime now) =>
        [o.Metadata.Name, o.Metadata.CreationTimestamp?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") ?? ""];

    static SimpleTable BindingTable() => new([SimpleTable.Name,
            new("Role", "string", "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable."),
            SimpleTable.Age,
            new("Users", "string", "Users in the roleBinding", 1),
            new("Groups", "string", "Groups in the roleBinding", 1),
            new("ServiceAccounts", "string", "ServiceAccounts in the roleBinding", 1)],
        (o, now) =>
        {
            var (roleRef, subjects) = o switch
            {
                V1RoleBinding rb => (rb.RoleRef, rb.Subjects),
                V1ClusterRoleBinding crb => (crb.RoleRef, crb.Subjects),
                _ => (null, null),
            };
            var s = subjects ?? [];
            return [o.Metadata.Name, roleRef is null ? "" : roleRef.Kind + "/" + roleRef.Name, SimpleTable.Age_(o, now),
                string.Join(", ", s.Where(x => x.Kind == "User").Select(x => x.Name)),
                string.Join(", ", s.Where(x => x.Kind == "Group").Select(x => x.Name)),
                string.Join(", ", s.Where(x => x.Kind == "ServiceAccount").Select(x => x.NamespaceProperty + "/" + x.Name))];
        });

    static List<StatusCause> ValidateRules(IList<V1PolicyRule>? rules, bool namespaced, List<StatusCause> causes)
    {
        for (var i = 0; i < (rules?.Count ?? 0); i++)
        {
            var r = rules![i];
            if (r.Verbs is not { Count: > 0 }) causes.Add(Validation.Required($"rules[{i}].verbs", "verbs must contain at least one value"));
            if (r.NonResourceURLs is { Count: > 0 })
            {
                if (namespaced) causes.Add(Validation.InvalidValue($"rules[{i}].nonResourceURLs", string.Join(",", r.NonResourceURLs), "namespaced rules cannot apply to non-resource URLs"));
                if (r.ApiGroups is { Count: > 0 } || r.Resources is { Count: > 0 })
                    causes.Add(Validation.InvalidValue($"rules[{i}].nonResourceURLs", string.Join(",", r.NonResourceURLs), "rules cannot apply to both regular resources and non-resource URLs"));
                continue;
            }
            if (r.ApiGroups is not { Count: > 0 }) causes.Add(Validation.Required($"rules[{i}].apiGroups", "resource rules must supply at least one api group"));
            if (r.Resources is not { Count: > 0 }) causes.Add(Validation.Required($"rules[{i}].resources", "resource rules must supply at least one resource"));
        }
        return causes;
    }

    static void ValidateBinding(V1RoleRef? roleRef, IList<Rbacv1Subject>? subjects, V1RoleRef? oldRef, bool namespaced, List<StatusCause> causes)
    {
        if (roleRef is null || string.IsNullOrEmpty(roleRef.Name)) causes.Add(Validation.Required("roleRef.name"));
        else
        {
            if (roleRef.ApiGroup != Group) causes.Add(Validation.NotSupported("roleRef.apiGroup", roleRef.ApiGroup ?? "", Group));
            if (namespaced ? roleRef.Kind is not ("Role" or "ClusterRole") : roleRef.Kind != "ClusterRole")
                causes.Add(namespaced ? Validation.NotSupported("roleRef.kind", roleRef.Kind ?? "", "ClusterRole", "Role") : Validation.NotSupported("roleRef.kind", roleRef.Kind ?? "", "ClusterRole"));
        }
        if (oldRef is not null && roleRef is not null && (oldRef.Name != roleRef.Name || oldRef.Kind != roleRef.Kind || oldRef.ApiGroup != roleRef.ApiGroup))
            causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {{\"apiGroup\":\"{roleRef.ApiGroup}\",\"kind\":\"{roleRef.Kind}\",\"name\":\"{roleRef.Name}\"}}: cannot change roleRef", "roleRef"));
        for (var i = 0; i < (subjects?.Count ?? 0); i++)
        {
            var s = subjects![i];
            if (string.IsNullOrEmpty(s.Name)) causes.Add(Validation.Required($"subjects[{i}].name"));
            switch (s.Kind)
            {
                case "ServiceAccount":
                    if (string.IsNullOrEmpty(s.NamespaceProperty) && !namespaced) causes.Add(Validation.Required($"subjects[{i}].namespace"));
                    break;
                case "User":
                case "Group":
                    if (s.ApiGroup != Group) causes.Add(Validation.NotSupported($"subjects[{i}].apiGroup", s.ApiGroup ?? "", Group));
                    break;
                default:
                    causes.Add(Validation.NotSupported($"subjects[{i}].kind", s.Kind ?? "", "Group", "ServiceAccount", "User"));
                    break;
            }
        }
    }

    static void DefaultSubjects(IList<Rbacv1Subject>? subjects, string? bindingNamespace)
    {
        foreach (var s in subjects ?? [])
        {
            if (s.Kind is "User" or "Group") s.ApiGroup ??= Group;
            if (s.Kind == "ServiceAccount") { s.ApiGroup ??= ""; if (string.IsNullOrEmpty(s.NamespaceProperty)) s.NamespaceProperty = bindingNamespace; }
        }
    }

    static PatchSchema Schema() => new(PatchSchema.MetadataEntries());

    public static IEnumerable<ResourceDefinition> Definitions()
    {
        yield return new ResourceDefinition
        {
            Group = Group, Version = "v1", Plural = "roles", Singular = "role", Kind = "Role", Namespaced = true, ClrType = typeof(V1Role),
            StorageVersionHash = "7FuwZcIIItM=",
            Table = new SimpleTable([SimpleTable.Name, CreatedAt], RoleCells),
            Validator = (o, old) => ValidateRules(((V1Role)o).Rules, true, Validation.ObjectMeta(o, true, NameError)),
            PatchSchema = Schema(),
        };
        yield return new ResourceDefinition
        {
            Group = Group, Version = "v1", Plural = "rolebindings", Singular = "rolebinding", Kind = "RoleBinding", Namespaced = true, ClrType = typeof(V1RoleBinding),
            StorageVersionHash = "+Fgmg5ObOV4=",
            Table = BindingTable(),
            Defaulter = o => { var b = (V1RoleBinding)o; DefaultSubjects(b.Subjects, b.Metadata.NamespaceProperty); },
            Validator = (o, old) =>
            {
                var b = (V1RoleBinding)o;
                var causes = Validation.ObjectMeta(o, true, NameError);
                ValidateBinding(b.RoleRef, b.Subjects, (old as V1RoleBinding)?.RoleRef, true, causes);
                return causes;
            },
            PatchSchema = Schema(),
        };
        yield return new ResourceDefinition
        {
            Group = Group, Version = "v1", Plural = "clusterroles", Singular = "clusterrole", Kind = "ClusterRole", Namespaced = false, ClrType = typeof(V1ClusterRole),
            StorageVersionHash = "bYE5ZWDrJ44=",
            Table = new SimpleTable([SimpleTable.Name, CreatedAt], RoleCells),
            Validator = (o, old) => ValidateRules(((V1ClusterRole)o).Rules, false, Validation.ObjectMeta(o, false, NameError)),
            PatchSchema = Schema(),
        };
        yield return new ResourceDefinition
        {
            Group = Group, Version = "v1", Plural = "clusterrolebindings", Singular = "clusterrolebinding", Kind = "ClusterRoleBinding", Namespaced = false,
            ClrType = typeof(V1ClusterRoleBinding), StorageVersionHash = "48tpQ8gZHFc=",
            Table = BindingTable(),
            Defaulter = o => DefaultSubjects(((V1ClusterRoleBinding)o).Subjects, null),
            Validator = (o, old) =>
            {
                var b = (V1ClusterRoleBinding)o;
                var causes = Validation.ObjectMeta(o, false, NameError);
                ValidateBinding(b.RoleRef, b.Subjects, (old as V1ClusterRoleBinding)?.RoleRef, false, causes);
                return causes;
            },
            PatchSchema = Schema(),
        };
        yield return new ResourceDefinition
        {
            Group = "authorization.k8s.io", Version = "v1", Plural = "selfsubjectaccessreviews", Singular = "selfsubjectaccessreview", Kind = "SelfSubjectAccessReview",
            Namespaced = false, ClrType = typeof(V1SelfSubjectAccessReview), Verbs = ["create"],
        };
    }

    static V1PolicyRule R(string[] groups, string[] resources, params string[] verbs) =>
        new() { ApiGroups = groups, Resources = resources, Verbs = verbs };

    static readonly string[] Read = ["get", "list", "watch"];
    static readonly string[] Write = ["create", "delete", "deletecollection", "patch", "update"];

    /// <summary>The bootstrap ClusterRoles and ClusterRoleBindings a new cluster has (the user-facing ones and those every authenticated user relies on).</summary>
    public static (List<V1ClusterRole> Roles, List<V1ClusterRoleBinding> Bindings) Bootstrap()
    {
        string[] coreView = ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "pods/log", "pods/status",
            "replicationcontrollers", "replicationcontrollers/scale", "replicationcontrollers/status", "serviceaccounts", "services", "services/status",
            "bindings", "events", "limitranges", "namespaces/status", "resourcequotas", "resourcequotas/status", "namespaces"];
        string[] appsRes = ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
            "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"];
        string[] batchRes = ["cronjobs", "cronjobs/status", "jobs", "jobs/status"];
        var view = new List<V1PolicyRule>
        {
            R([""], coreView, Read), R(["apps"], appsRes, Read), R(["batch"], batchRes, Read),
            R(["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"], Read),
            R(["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"], Read),
            R(["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"], Read),
            R(["discovery.k8s.io"], ["endpointslices"], Read),
        };
        var edit = new List<V1PolicyRule>
        {
            R([""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"], "get", "list", "watch"),
            R([""], ["serviceaccounts"], "impersonate"),
            R([""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"], "create", "delete", "deletecollection", "patch", "update"),
            R([""], ["pods/eviction"], "create"),
            R([""], ["configmaps", "events", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"], Write),
            R([""], ["serviceaccounts/token"], "create"),
            R(["apps"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"], Write),
            R(["autoscaling"], ["horizontalpodautoscalers"], Write),
            R(["batch"], ["cronjobs", "jobs"], Write),
            R(["policy"], ["poddisruptionbudgets"], Write),
            R(["networking.k8s.io"], ["ingresses", "networkpolicies"], Write),
            R(["coordination.k8s.io"], ["leases"], [.. Read, .. Write]),
        };
        edit.AddRange(view);
        var admin = new List<V1PolicyRule>
        {
            R(["authorization.k8s.io"], ["localsubjectaccessreviews"], "create"),
            R(["rbac.authorization.k8s.io"], ["rolebindings", "roles"], [.. Read, .. Write]),
        };
        admin.AddRange(edit);
        var labels = new Dictionary<string, string> { ["kubernetes.io/bootstrapping"] = "rbac-defaults" };
        var annotations = new Dictionary<string, string> { ["rbac.authorization.kubernetes.io/autoupdate"] = "true" };
        V1ClusterRole Role(string name, List<V1PolicyRule> rules, Dictionary<string, string>? extraLabels = null) => new()
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                Labels = extraLabels is null ? new Dictionary<string, string>(labels) : labels.Concat(extraLabels).ToDictionary(),
                Annotations = new Dictionary<string, string>(annotations),
            },
            Rules = rules,
        };
        var roles = new List<V1ClusterRole>
        {
            Role("cluster-admin", [R(["*"], ["*"], "*"), new V1PolicyRule { NonResourceURLs = ["*"], Verbs = ["*"] }]),
            Role("admin", admin, new() { ["rbac.authorization.k8s.io/aggregate-to-edit"] = "true" }),
            Role("edit", edit, new() { ["rbac.authorization.k8s.io/aggregate-to-admin"] = "true" }),
            Role("view", view, new() { ["rbac.authorization.k8s.io/aggregate-to-edit"] = "true" }),
            Role("system:discovery", [new V1PolicyRule { NonResourceURLs = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"], Verbs = ["get"] }]),
            Role("system:public-info-viewer", [new V1PolicyRule { NonResourceURLs = ["/healthz", "/livez", "/readyz", "/version", "/version/"], Verbs = ["get"] }]),
            Role("system:basic-user", [R(["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], "create"),
                R(["authentication.k8s.io"], ["selfsubjectreviews"], "create")]),
        };
        roles[1].Metadata.Labels.Remove("rbac.authorization.k8s.io/aggregate-to-edit");
        V1ClusterRoleBinding Binding(string name, string role, params (string Kind, string Name)[] subjects) => new()
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string>(labels), Annotations = new Dictionary<string, string>(annotations) },
            RoleRef = new V1RoleRef { ApiGroup = Group, Kind = "ClusterRole", Name = role },
            Subjects = subjects.Select(s => new Rbacv1Subject { ApiGroup = Group, Kind = s.Kind, Name = s.Name }).ToList(),
        };
        var bindings = new List<V1ClusterRoleBinding>
        {
            Binding("cluster-admin", "cluster-admin", ("Group", "system:masters")),
            Binding("system:discovery", "system:discovery", ("Group", "system:authenticated")),
            Binding("system:basic-user", "system:basic-user", ("Group", "system:authenticated")),
            Binding("system:public-info-viewer", "system:public-info-viewer", ("Group", "system:authenticated"), ("Group", "system:unauthenticated")),
        };
        return (roles, bindings);
    }
}
