using ClydePS.Engine.Flex;

namespace ClydePS;

/// <summary>A FlexDaemonsetTemplate (flexdaemonsets.xai/v1alpha1, cluster-scoped): a pod's share of each node, in percent.</summary>
public sealed class ClydeFlexTemplate
{
    public string Name { get; init; } = "";
    public int CpuPercentage { get; init; }
    public int MemoryPercentage { get; init; }
    public int StoragePercentage { get; init; }
    public string? MinCpu { get; init; }
    public string? MinMemory { get; init; }
    public string? MinStorage { get; init; }
    public DateTimeOffset? CreationTimestamp { get; init; }

    internal FlexTemplateSpec ToSpec() => new(CpuPercentage, MemoryPercentage, StoragePercentage, MinCpu, MinMemory, MinStorage);

    public override string ToString() => Name;
}

/// <summary>
/// What a pod using a template gets on one node (<c>Get-ClydeFlexAllocation</c>): requests = limits, for the whole pod
/// (shared by its containers). A null amount means the node does not report the resource and the template has no minimum.
/// </summary>
public sealed class ClydeFlexAllocation
{
    /// <summary>The node's name (binds by property name to -Node).</summary>
    public string Name { get; init; } = "";
    public string Template { get; init; } = "";
    public string? NodeCpu { get; init; }
    public string? NodeMemory { get; init; }
    public string? NodeEphemeralStorage { get; init; }
    public string? Cpu { get; init; }
    public string? Memory { get; init; }
    public string? EphemeralStorage { get; init; }
    public long? CpuMillicores { get; init; }
    public long? MemoryBytes { get; init; }
    public long? EphemeralStorageBytes { get; init; }

    public override string ToString() => $"{Name}: cpu={Cpu} memory={Memory} ephemeral-storage={EphemeralStorage}";
}

/// <summary>The flex webhook as <c>Install-ClydeFlexWebhook</c> left it.</summary>
public sealed class ClydeFlexWebhook
{
    /// <summary>The MutatingWebhookConfiguration's name.</summary>
    public string Name { get; init; } = "";
    public string Namespace { get; init; } = "";

    /// <summary>Where the API server calls the webhook: the -WebhookUrl, or https://&lt;service&gt;.&lt;namespace&gt;.svc:443/mutate-v1-pod.</summary>
    public string Endpoint { get; init; } = "";
    public string FailurePolicy { get; init; } = "";

    /// <summary>The webhook image (null with -WebhookUrl: no Deployment).</summary>
    public string? Image { get; init; }
    public DateTimeOffset CertificateNotAfter { get; init; }

    /// <summary>True when this run issued a new CA and serving certificate (first install, host change, or near expiry).</summary>
    public bool CertificateIssued { get; init; }

    /// <summary>The Secret holding tls.crt, tls.key and ca.crt (namespace/name).</summary>
    public string Secret { get; init; } = "";

    /// <summary>Each object and what was done: "created", "updated" or "unchanged" (or "would apply" under -WhatIf).</summary>
    public string[] Objects { get; init; } = [];

    public override string ToString() => $"{Name} -> {Endpoint}";
}
