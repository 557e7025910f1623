using System.Text;
using ClydePS.Engine.Kube;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Flex;

/// <summary>What Install-ClydeFlexWebhook asks for.</summary>
public sealed record FlexInstallOptions
{
    public string Namespace { get; init; } = FlexNames.DefaultNamespace;
    public string Image { get; init; } = FlexNames.DefaultImage;

    /// <summary>Fail or Ignore.</summary>
    public string FailurePolicy { get; init; } = "Fail";

    /// <summary>An https URL outside the cluster; then no Deployment or Service is created and the certificate is for its host.</summary>
    public Uri? WebhookUrl { get; init; }

    public int TimeoutSeconds { get; init; } = 5;
    public TimeSpan CertificateValidity { get; init; } = TimeSpan.FromDays(365);

    /// <summary>A certificate with less than this left is replaced.</summary>
    public TimeSpan RenewBefore { get; init; } = TimeSpan.FromDays(30);
}

/// <summary>One object the installer applies.</summary>
public sealed record FlexObject(string Kind, string? Namespace, string Name, IKubernetesObject<V1ObjectMeta> Object)
{
    public string Display => Namespace is null ? $"{Kind} {Name}" : $"{Kind} {Namespace}/{Name}";
}

/// <summary>The objects of an install and the certificate facts.</summary>
public sealed record FlexInstallPlan(FlexInstallOptions Options, IReadOnlyList<FlexObject> Objects, FlexCertificateSet Certificates, bool CertificateIssued, string Endpoint)
{
    /// <summary>Every object as YAML documents separated by <c>---</c> (the Secret holds the private key).</summary>
    public string ToYaml()
    {
        var sb = new StringBuilder();
        foreach (var o in Objects)
        {
            if (sb.Length > 0) sb.Append("---\n");
            sb.Append(KubernetesYaml.Serialize(o.Object));
            if (sb[^1] != '\n') sb.Append('\n');
        }
        return sb.ToString();
    }
}

/// <summary>
/// Installs and removes the flex webhook: the FlexDaemonsetTemplate CRD (the seed's schema), the namespace, a ServiceAccount
/// with a ClusterRole to read nodes, templates and DaemonSets, a TLS Secret from a CA and serving certificate generated
/// in-process, the Deployment and Service (or, with a webhook URL, an endpoint outside the cluster), and the
/// MutatingWebhookConfiguration with the CA bundle filled in, scoped to pods labelled <c>flexdaemonsets.xai/enabled=true</c>.
/// Applying is idempotent; the certificate is kept unless it is near expiry or does not cover the endpoint's host.
/// </summary>
public static class FlexInstaller
{
    static Dictionary<string, string> Labels() => new()
    {
        [FlexNames.ManagedByLabel] = FlexNames.ManagedByValue,
        [FlexNames.OwnerLabel] = FlexNames.WebhookName,
        ["app.kubernetes.io/name"] = FlexNames.WebhookName,
    };

    static V1ObjectMeta Meta(string name, string? ns = null) => new() { Name = name, NamespaceProperty = ns, Labels = Labels() };

    /// <summary>Checks the options before anything is read or created.</summary>
    public static void Validate(FlexInstallOptions o)
    {
        if (o.FailurePolicy is not ("Fail" or "Ignore"))
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeFlexInvalidFailurePolicy", $"FailurePolicy must be Fail or Ignore, not '{o.FailurePolicy}'.", o.FailurePolicy);
        if (o.WebhookUrl is { } u && (!u.IsAbsoluteUri || u.Scheme != "https" || !string.IsNullOrEmpty(u.UserInfo) || !string.IsNullOrEmpty(u.Fragment)))
            throw new ClydeException(ClydeErrorKind.InvalidArgument, FlexErrorIds.InvalidWebhookUrl,
                $"WebhookUrl '{u}' must be an absolute https URL without user info or fragment (the API server only calls webhooks over TLS).", u.ToString());
    }

    /// <summary>The hosts the serving certificate must cover.</summary>
    public static IReadOnlyList<string> Hosts(FlexInstallOptions o) => o.WebhookUrl is { } u
        ? [u.IdnHost]
        : [$"{FlexNames.ServiceName}.{o.Namespace}.svc", $"{FlexNames.ServiceName}.{o.Namespace}.svc.cluster.local", $"{FlexNames.ServiceName}.{o.Namespace}"];

    /// <summary>Reads the existing Secret (when there is a cluster) and builds every object.</summary>
    public static async Task<FlexInstallPlan> PlanAsync(ClusterGateway? gateway, FlexInstallOptions o, TimeProvider time, CancellationToken cancellationToken)
    {
        Validate(o);
        var hosts = Hosts(o);
        FlexCertificateSet? certs = null;
        if (gateway is not null)
        {
            V1Secret? existing = null;
            try
            {
                existing = await gateway.CallAsync("read Secret", $"{o.Namespace}/{FlexNames.SecretName}",
                    (c, ct) => c.CoreV1.ReadNamespacedSecretAsync(FlexNames.SecretName, o.Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            }
            catch (ClydeException e) when (e.StatusCode == 404) { }
            string? Get(string key) => existing?.Data?.TryGetValue(key, out var b) == true ? Encoding.UTF8.GetString(b) : null;
            if (FlexCertificateSet.IsReusable(Get("ca.crt"), Get("tls.crt"), Get("tls.key"), hosts, o.RenewBefore, time.GetUtcNow(), out var notAfter))
                certs = new FlexCertificateSet(Get("ca.crt")!, Get("tls.crt")!, Get("tls.key")!, notAfter);
        }
        var issued = certs is null;
        certs ??= FlexCertificateSet.Issue(hosts, o.CertificateValidity, time);
        return Build(o, certs, issued);
    }

    public static FlexInstallPlan Build(FlexInstallOptions o, FlexCertificateSet certs, bool issued)
    {
        var ns = o.Namespace;
        var objects = new List<FlexObject>
        {
            new("CustomResourceDefinition", null, FlexNames.CrdName, Crd()),
            new("Namespace", null, ns, new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = Meta(ns) }),
            new("ServiceAccount", ns, FlexNames.WebhookName, new V1ServiceAccount { ApiVersion = "v1", Kind = "ServiceAccount", Metadata = Meta(FlexNames.WebhookName, ns) }),
            new("ClusterRole", null, FlexNames.WebhookName, new V1ClusterRole
            {
                ApiVersion = "rbac.authorization.k8s.io/v1", Kind = "ClusterRole", Metadata = Meta(FlexNames.WebhookName),
                Rules =
                [
                    new V1PolicyRule { ApiGroups = [""], Resources = ["nodes"], Verbs = ["get", "list", "watch"] },
                    new V1PolicyRule { ApiGroups = [FlexNames.Group], Resources = [FlexNames.Plural], Verbs = ["get", "list", "watch"] },
                    new V1PolicyRule { ApiGroups = ["apps"], Resources = ["daemonsets"], Verbs = ["get"] },
                ],
            }),
            new("ClusterRoleBinding", null, FlexNames.WebhookName, new V1ClusterRoleBinding
            {
                ApiVersion = "rbac.authorization.k8s.io/v1", Kind = "ClusterRoleBinding", Metadata = Meta(FlexNames.WebhookName),
                RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = FlexNames.WebhookName },
                Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = FlexNames.WebhookName, NamespaceProperty = ns }],
            }),
            new("Secret", ns, FlexNames.SecretName, new V1Secret
            {
                ApiVersion = "v1", Kind = "Secret", Metadata = Meta(FlexNames.SecretName, ns), Type = "kubernetes.io/tls",
                Data = new Dictionary<string, byte[]>
                {
                    ["tls.crt"] = Encoding.UTF8.GetBytes(certs.CertificatePem),
                    ["tls.key"] = Encoding.UTF8.GetBytes(certs.KeyPem),
                    ["ca.crt"] = Encoding.UTF8.GetBytes(certs.CaPem),
                },
            }),
        };
        string endpoint;
        if (o.WebhookUrl is null)
        {
            objects.Add(new("Deployment", ns, FlexNames.WebhookName, Deployment(o, certs)));
            objects.Add(new("Service", ns, FlexNames.ServiceName, new V1Service
            {
                ApiVersion = "v1", Kind = "Service", Metadata = Meta(FlexNames.ServiceName, ns),
                Spec = new V1ServiceSpec
                {
                    Selector = new Dictionary<string, string> { ["app.kubernetes.io/name"] = FlexNames.WebhookName },
                    Ports = [new V1ServicePort { Name = "https", Port = 443, TargetPort = FlexNames.ContainerPort, Protocol = "TCP" }],
                },
            }));
            endpoint = $"https://{FlexNames.ServiceName}.{ns}.svc:443{FlexNames.Path}";
        }
        else
        {
            endpoint = o.WebhookUrl.ToString();
        }
        objects.Add(new("MutatingWebhookConfiguration", null, FlexNames.WebhookConfigurationName, WebhookConfiguration(o, certs)));
        return new FlexInstallPlan(o, objects, certs, issued, endpoint);
    }

    /// <summary>Pod-template annotation with the serving certificate's hash: a renewed certificate rolls the webhook's pods, which read it at start.</summary>
    public const string CertificateHashAnnotation = "clydeps.io/tls-sha256";

    static V1Deployment Deployment(FlexInstallOptions o, FlexCertificateSet certs) => new()
    {
        ApiVersion = "apps/v1", Kind = "Deployment", Metadata = Meta(FlexNames.WebhookName, o.Namespace),
        Spec = new V1DeploymentSpec
        {
            Replicas = 1,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = FlexNames.WebhookName } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta
                {
                    Labels = Labels(),
                    Annotations = new Dictionary<string, string>
                    {
                        [CertificateHashAnnotation] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(certs.CertificatePem))).ToLowerInvariant(),
                    },
                },
                Spec = new V1PodSpec
                {
                    ServiceAccountName = FlexNames.WebhookName,
                    Containers =
                    [
                        new V1Container
                        {
                            Name = "webhook",
                            Image = o.Image,
                            Args = ["--listen", $"0.0.0.0:{FlexNames.ContainerPort}", "--tls-cert", "/etc/flexdaemonsets/tls/tls.crt", "--tls-key", "/etc/flexdaemonsets/tls/tls.key"],
                            Ports = [new V1ContainerPort { Name = "https", ContainerPort = FlexNames.ContainerPort }],
                            ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/readyz", Port = FlexNames.ContainerPort, Scheme = "HTTPS" } },
                            LivenessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/healthz", Port = FlexNames.ContainerPort, Scheme = "HTTPS" } },
                            Resources = new V1ResourceRequirements
                            {
                                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("50m"), ["memory"] = new("64Mi") },
                                Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("256Mi") },
                            },
                            VolumeMounts = [new V1VolumeMount { Name = "tls", MountPath = "/etc/flexdaemonsets/tls", ReadOnlyProperty = true }],
                            SecurityContext = new V1SecurityContext { RunAsNonRoot = true, AllowPrivilegeEscalation = false, ReadOnlyRootFilesystem = true },
                        },
                    ],
                    Volumes = [new V1Volume { Name = "tls", Secret = new V1SecretVolumeSource { SecretName = FlexNames.SecretName } }],
                },
            },
        },
    };

    static V1MutatingWebhookConfiguration WebhookConfiguration(FlexInstallOptions o, FlexCertificateSet certs) => new()
    {
        ApiVersion = "admissionregistration.k8s.io/v1", Kind = "MutatingWebhookConfiguration", Metadata = Meta(FlexNames.WebhookConfigurationName),
        Webhooks =
        [
            new V1MutatingWebhook
            {
                Name = FlexNames.MutatingWebhookName,
                AdmissionReviewVersions = ["v1"],
                SideEffects = "None",
                TimeoutSeconds = o.TimeoutSeconds,
                FailurePolicy = o.FailurePolicy,
                MatchPolicy = "Equivalent",
                ReinvocationPolicy = "Never",
                Rules = [new V1RuleWithOperations { Operations = ["CREATE"], ApiGroups = [""], ApiVersions = ["v1"], Resources = ["pods"], Scope = "Namespaced" }],
                ObjectSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [FlexNames.EnabledLabel] = FlexNames.EnabledValue } },
                NamespaceSelector = new V1LabelSelector(),
                ClientConfig = new Admissionregistrationv1WebhookClientConfig
                {
                    CaBundle = Encoding.UTF8.GetBytes(certs.CaPem),
                    Url = o.WebhookUrl?.ToString(),
                    Service = o.WebhookUrl is null
                        ? new Admissionregistrationv1ServiceReference { Name = FlexNames.ServiceName, NamespaceProperty = o.Namespace, Path = FlexNames.Path, Port = 443 }
                        : null,
                },
            },
        ],
    };

    static V1JSONSchemaProps Percent(string what) => new()
    {
        Type = "integer", Minimum = 1, Maximum = 100, Description = $"Percentage (1-100) of the node's allocatable {what} a pod gets (requests = limits).",
    };

    static V1JSONSchemaProps Quantity(string what) => new() { Type = "string", Description = $"Minimum {what} (a quantity such as {(what == "CPU" ? "100m" : "128Mi")})." };

    /// <summary>The CRD exactly as the seed defines it: cluster-scoped, short name fdt, status subresource.</summary>
    public static V1CustomResourceDefinition Crd() => new()
    {
        ApiVersion = "apiextensions.k8s.io/v1", Kind = "CustomResourceDefinition", Metadata = Meta(FlexNames.CrdName),
        Spec = new V1CustomResourceDefinitionSpec
        {
            Group = FlexNames.Group,
            Scope = "Cluster",
            Names = new V1CustomResourceDefinitionNames
            {
                Kind = FlexNames.Kind, ListKind = FlexNames.Kind + "List", Plural = FlexNames.Plural, Singular = FlexNames.Singular, ShortNames = [FlexNames.ShortName],
            },
            Versions =
            [
                new V1CustomResourceDefinitionVersion
                {
                    Name = FlexNames.Version, Served = true, Storage = true,
                    Subresources = new V1CustomResourceSubresources { Status = new object() },
                    AdditionalPrinterColumns =
                    [
                        new V1CustomResourceColumnDefinition { Name = "CPU%", Type = "integer", JsonPath = ".spec.cpuPercentage" },
                        new V1CustomResourceColumnDefinition { Name = "Memory%", Type = "integer", JsonPath = ".spec.memoryPercentage" },
                        new V1CustomResourceColumnDefinition { Name = "Storage%", Type = "integer", JsonPath = ".spec.storagePercentage" },
                        new V1CustomResourceColumnDefinition { Name = "Age", Type = "date", JsonPath = ".metadata.creationTimestamp" },
                    ],
                    Schema = new V1CustomResourceValidation
                    {
                        OpenAPIV3Schema = new V1JSONSchemaProps
                        {
                            Type = "object",
                            Properties = new Dictionary<string, V1JSONSchemaProps>
                            {
                                ["apiVersion"] = new() { Type = "string" },
                                ["kind"] = new() { Type = "string" },
                                ["metadata"] = new() { Type = "object" },
                                ["spec"] = new()
                                {
                                    Type = "object",
                                    Required = ["cpuPercentage", "memoryPercentage", "storagePercentage"],
                                    Properties = new Dictionary<string, V1JSONSchemaProps>
                                    {
                                        ["cpuPercentage"] = Percent("CPU"),
                                        ["memoryPercentage"] = Percent("memory"),
                                        ["storagePercentage"] = Percent("ephemeral storage"),
                                        ["minCPU"] = Quantity("CPU"),
                                        ["minMemory"] = Quantity("memory"),
                                        ["minStorage"] = Quantity("ephemeral storage"),
                                    },
                                },
                                ["status"] = new() { Type = "object", XKubernetesPreserveUnknownFields = true },
                            },
                        },
                    },
                },
            ],
        },
    };

    /// <summary>Creates the object, or replaces it (keeping its resourceVersion) when it exists. Returns "created" or "updated".</summary>
    public static async Task<string> ApplyAsync(ClusterGateway gateway, FlexObject o, CancellationToken cancellationToken)
    {
        var op = o.Kind;
        async Task<string> Upsert<T>(Func<IKubernetes, CancellationToken, Task<T>> read, Func<IKubernetes, CancellationToken, Task> create,
            Func<IKubernetes, T, CancellationToken, Task> replace) where T : IKubernetesObject<V1ObjectMeta>
        {
            T existing;
            try
            {
                existing = await gateway.CallAsync("read " + op, o.Display, read, cancellationToken).ConfigureAwait(false);
            }
            catch (ClydeException e) when (e.StatusCode == 404)
            {
                await gateway.CallAsync("create " + op, o.Display, create, cancellationToken).ConfigureAwait(false);
                return "created";
            }
            o.Object.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
            await gateway.CallAsync("replace " + op, o.Display, (c, ct) => replace(c, existing, ct), cancellationToken).ConfigureAwait(false);
            return "updated";
        }

        var ns = o.Namespace!;
        switch (o.Object)
        {
            case V1CustomResourceDefinition crd:
                return await Upsert(
                    (c, ct) => c.ApiextensionsV1.ReadCustomResourceDefinitionAsync(o.Name, cancellationToken: ct),
                    (c, ct) => c.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd, cancellationToken: ct),
                    (c, _, ct) => c.ApiextensionsV1.ReplaceCustomResourceDefinitionAsync(crd, o.Name, cancellationToken: ct)).ConfigureAwait(false);
            case V1Namespace n:
                try
                {
                    await gateway.CallAsync("read Namespace", o.Name, (c, ct) => c.CoreV1.ReadNamespaceAsync(o.Name, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
                    return "exists";
                }
                catch (ClydeException e) when (e.StatusCode == 404)
                {
                    await gateway.CallAsync("create Namespace", o.Name, (c, ct) => c.CoreV1.CreateNamespaceAsync(n, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
                    return "created";
                }
            case V1ServiceAccount sa:
                return await Upsert(
                    (c, ct) => c.CoreV1.ReadNamespacedServiceAccountAsync(o.Name, ns, cancellationToken: ct),
                    (c, ct) => c.CoreV1.CreateNamespacedServiceAccountAsync(sa, ns, cancellationToken: ct),
                    (c, _, ct) => c.CoreV1.ReplaceNamespacedServiceAccountAsync(sa, o.Name, ns, cancellationToken: ct)).ConfigureAwait(false);
            case V1ClusterRole cr:
                return await Upsert(
                    (c, ct) => c.RbacAuthorizationV1.ReadClusterRoleAsync(o.Name, cancellationToken: ct),
                    (c, ct) => c.RbacAuthorizationV1.CreateClusterRoleAsync(cr, cancellationToken: ct),
                    (c, _, ct) => c.RbacAuthorizationV1.ReplaceClusterRoleAsync(cr, o.Name, cancellationToken: ct)).ConfigureAwait(false);
            case V1ClusterRoleBinding crb:
                return await Upsert(
                    (c, ct) => c.RbacAuthorizationV1.ReadClusterRoleBindingAsync(o.Name, cancellationToken: ct),
                    (c, ct) => c.RbacAuthorizationV1.CreateClusterRoleBindingAsync(crb, cancellationToken: ct),
                    (c, _, ct) => c.RbacAuthorizationV1.ReplaceClusterRoleBindingAsync(crb, o.Name, cancellationToken: ct)).ConfigureAwait(false);
            case V1Secret s:
                return await Upsert(
                    (c, ct) => c.CoreV1.ReadNamespacedSecretAsync(o.Name, ns, cancellationToken: ct),
                    (c, ct) => c.CoreV1.CreateNamespacedSecretAsync(s, ns, cancellationToken: ct),
                    (c, _, ct) => c.CoreV1.ReplaceNamespacedSecretAsync(s, o.Name, ns, cancellationToken: ct)).ConfigureAwait(false);
            case V1Deployment d:
                return await Upsert(
                    (c, ct) => c.AppsV1.ReadNamespacedDeploymentAsync(o.Name, ns, cancellationToken: ct),
                    (c, ct) => c.AppsV1.CreateNamespacedDeploymentAsync(d, ns, cancellationToken: ct),
                    (c, _, ct) => c.AppsV1.ReplaceNamespacedDeploymentAsync(d, o.Name, ns, cancellationToken: ct)).ConfigureAwait(false);
            case V1Service svc:
                return await Upsert(
                    (c, ct) => c.CoreV1.ReadNamespacedServiceAsync(o.Name, ns, cancellationToken: ct),
                    (c, ct) => c.CoreV1.CreateNamespacedServiceAsync(svc, ns, cancellationToken: ct),
                    (c, existing, ct) =>
                    {
                        // clusterIP is immutable: keep the one the cluster assigned.
                        svc.Spec.ClusterIP = existing.Spec?.ClusterIP;
                        svc.Spec.ClusterIPs = existing.Spec?.ClusterIPs;
                        return c.CoreV1.ReplaceNamespacedServiceAsync(svc, o.Name, ns, cancellationToken: ct);
                    }).ConfigureAwait(false);
            case V1MutatingWebhookConfiguration m:
                return await Upsert(
                    (c, ct) => c.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync(o.Name, cancellationToken: ct),
                    (c, ct) => c.AdmissionregistrationV1.CreateMutatingWebhookConfigurationAsync(m, cancellationToken: ct),
                    (c, _, ct) => c.AdmissionregistrationV1.ReplaceMutatingWebhookConfigurationAsync(m, o.Name, cancellationToken: ct)).ConfigureAwait(false);
            default:
                throw new InvalidOperationException("unknown kind " + o.Kind);
        }
    }

    /// <summary>The objects Uninstall-ClydeFlexWebhook deletes, in order (the webhook configuration first, so no pod is blocked meanwhile).</summary>
    public static IReadOnlyList<(string Kind, string? Namespace, string Name)> UninstallTargets(string ns, bool includeCrd)
    {
        var list = new List<(string, string?, string)>
        {
            ("MutatingWebhookConfiguration", null, FlexNames.WebhookConfigurationName),
            ("Deployment", ns, FlexNames.WebhookName),
            ("Service", ns, FlexNames.ServiceName),
            ("Secret", ns, FlexNames.SecretName),
            ("ClusterRoleBinding", null, FlexNames.WebhookName),
            ("ClusterRole", null, FlexNames.WebhookName),
            ("ServiceAccount", ns, FlexNames.WebhookName),
        };
        if (includeCrd) list.Add(("CustomResourceDefinition", null, FlexNames.CrdName));
        return list;
    }

    /// <summary>Deletes one object; false when it was already gone.</summary>
    public static async Task<bool> DeleteAsync(ClusterGateway gateway, string kind, string? ns, string name, CancellationToken cancellationToken)
    {
        Func<IKubernetes, CancellationToken, Task> call = kind switch
        {
            "MutatingWebhookConfiguration" => (c, ct) => c.AdmissionregistrationV1.DeleteMutatingWebhookConfigurationAsync(name, cancellationToken: ct),
            "Deployment" => (c, ct) => c.AppsV1.DeleteNamespacedDeploymentAsync(name, ns, propagationPolicy: "Background", cancellationToken: ct),
            "Service" => (c, ct) => c.CoreV1.DeleteNamespacedServiceAsync(name, ns, cancellationToken: ct),
            "Secret" => (c, ct) => c.CoreV1.DeleteNamespacedSecretAsync(name, ns, cancellationToken: ct),
            "ClusterRoleBinding" => (c, ct) => c.RbacAuthorizationV1.DeleteClusterRoleBindingAsync(name, cancellationToken: ct),
            "ClusterRole" => (c, ct) => c.RbacAuthorizationV1.DeleteClusterRoleAsync(name, cancellationToken: ct),
            "ServiceAccount" => (c, ct) => c.CoreV1.DeleteNamespacedServiceAccountAsync(name, ns, cancellationToken: ct),
            "CustomResourceDefinition" => (c, ct) => c.ApiextensionsV1.DeleteCustomResourceDefinitionAsync(name, cancellationToken: ct),
            "Namespace" => (c, ct) => c.CoreV1.DeleteNamespaceAsync(name, cancellationToken: ct),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        try
        {
            await gateway.CallAsync("delete " + kind, ns is null ? name : $"{ns}/{name}", call, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ClydeException e) when (e.StatusCode == 404)
        {
            return false;
        }
    }

    /// <summary>True when the namespace exists and carries the installer's owner label (so Uninstall may delete it).</summary>
    public static async Task<bool> NamespaceOwnedAsync(ClusterGateway gateway, string ns, CancellationToken cancellationToken)
    {
        try
        {
            var n = await gateway.CallAsync("read Namespace", ns, (c, ct) => c.CoreV1.ReadNamespaceAsync(ns, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            return n.Metadata?.Labels?.TryGetValue(FlexNames.OwnerLabel, out var v) == true && v == FlexNames.WebhookName
                && n.Status?.Phase != "Terminating";
        }
        catch (ClydeException e) when (e.StatusCode == 404)
        {
            return false;
        }
    }
}
