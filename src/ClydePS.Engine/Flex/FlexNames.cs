namespace ClydePS.Engine.Flex;

/// <summary>The fixed names of flex resources: the seed's CRD, annotation and label, and the objects the installer creates.</summary>
public static class FlexNames
{
    public const string Group = "flexdaemonsets.xai";
    public const string Version = "v1alpha1";
    public const string Kind = "FlexDaemonsetTemplate";
    public const string Plural = "flexdaemonsettemplates";
    public const string Singular = "flexdaemonsettemplate";
    public const string ShortName = "fdt";
    public const string CrdName = Plural + "." + Group;
    public const string ApiVersion = Group + "/" + Version;

    /// <summary>Pod (template) annotation naming the FlexDaemonsetTemplate; also read from the owning DaemonSet.</summary>
    public const string TemplateAnnotation = "flexdaemonsets.xai/resource-template";

    /// <summary>Pod label the webhook configuration's objectSelector matches: only labelled pods reach the webhook.</summary>
    public const string EnabledLabel = "flexdaemonsets.xai/enabled";
    public const string EnabledValue = "true";

    /// <summary>Annotation the webhook adds to a mutated pod: the template, node and per-pod amounts it applied.</summary>
    public const string AppliedAnnotation = "flexdaemonsets.xai/applied";

    public const string DefaultNamespace = "flexdaemonsets-system";
    public const string WebhookName = "flexdaemonsets-webhook";
    public const string ServiceName = "flexdaemonsets-webhook-svc";
    public const string SecretName = "flexdaemonsets-webhook-tls";
    public const string WebhookConfigurationName = "flexdaemonsets-webhook";
    public const string MutatingWebhookName = "pods.flexdaemonsets.xai";
    public const string Path = "/mutate-v1-pod";
    public const int ContainerPort = 9443;
    public const string DefaultImage = "ghcr.io/clydeps/flexdaemonsets-webhook:0.1.0";

    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "ClydePS";
    public const string OwnerLabel = "clydeps.io/flex-webhook";
}
