using System.Management.Automation;
using ClydePS.Engine.Registry;

namespace ClydePS.Infrastructure;

/// <summary>
/// Base of the cmdlets that talk to a container registry: owns the shared registry parameters (credentials,
/// mirrors, TLS, platform) and builds one <see cref="RegistryClient"/> per invocation. A cluster is contacted
/// only when -ImagePullSecret is given or -Kubeconfig / -Context name one (for the pull secret and a Lab's mirror).
/// </summary>
public abstract class ClydeRegistryCmdletBase : ClydeClusterCmdletBase
{
    private RegistryClient? registry;
    private Platform? platform;

    /// <summary>User name and password for the image's registry.</summary>
    [Parameter]
    [Credential]
    [ValidateNotNull]
    public PSCredential? Credential { get; set; }

    /// <summary>A kubernetes.io/dockerconfigjson secret in the kubeconfig context's namespace whose credentials are used.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ImagePullSecret { get; set; }

    /// <summary>A docker config.json; default: $DOCKER_CONFIG/config.json, else ~/.docker/config.json.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RegistryConfigPath { get; set; }

    /// <summary>Registry mirrors (URLs) tried before every registry, containerd-style, with fallback to the registry.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Mirror { get; set; }

    /// <summary>A containerd hosts directory (&lt;dir&gt;/&lt;host&gt;/hosts.toml) whose mirrors are used.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RegistryHostsPath { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CaCertificatePath { get; set; }

    [Parameter]
    public SwitchParameter SkipTlsVerify { get; set; }

    [Parameter]
    public SwitchParameter AllowInsecureHttp { get; set; }

    /// <summary>os/architecture[/variant] of the cluster's nodes; default linux/amd64.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Platform { get; set; }

    /// <summary>True when the cmdlet works on the cluster anyway (then its Lab mirror is used even without -Kubeconfig).</summary>
    protected virtual bool UsesCluster => false;

    /// <summary>Where -ImagePullSecret is read; null for the context's namespace.</summary>
    protected virtual string? PullSecretNamespace => null;

    /// <summary>
    /// The platform whose manifest is chosen from a multi-platform image: -Platform, else the platform the
    /// cluster's nodes run when a cluster is in play, else linux/amd64.
    /// </summary>
    protected Platform TargetPlatform => platform ??= ResolvePlatform();

    private Platform ResolvePlatform()
    {
        if (Platform is not null)
        {
            return Engine.Registry.Platform.Parse(Platform);
        }

        if (!ClusterNamed)
        {
            return Engine.Registry.Platform.LinuxAmd64;
        }

        var gateway = Gateway;
        Platform detected = Run(ct => ClusterPlatform.DetectAsync(gateway, ct));
        WriteVerbose($"Choosing the {detected} manifest of multi-platform images: the platform of the cluster's nodes (-Platform overrides).");
        return detected;
    }

    private bool ClusterNamed => UsesCluster || ImagePullSecret is not null || MyInvocation.BoundParameters.ContainsKey(nameof(Kubeconfig))
                                 || MyInvocation.BoundParameters.ContainsKey(nameof(Context));

    /// <summary>The registry client, built on first use (on the pipeline thread).</summary>
    protected RegistryClient Registry => registry ??= CreateRegistryClient();

    private RegistryClient CreateRegistryClient()
    {
        var credentials = new CredentialStore
        {
            Explicit = Credential is null
                ? null
                : new RegistryCredential(Credential.UserName, Credential.GetNetworkCredential().Password),
        };
        var mirrors = (Mirror ?? []).Select(RegistryMirrors.Parse).ToList();

        if (ClusterNamed)
        {
            var gateway = Gateway;
            if (ImagePullSecret is not null)
            {
                string secretName = ImagePullSecret;
                string? secretNamespace = PullSecretNamespace;
                credentials.AddRange(Run(ct => PullSecretReader.ReadAsync(gateway, secretName, secretNamespace, ct)));
                WriteVerbose($"Using the credentials of pull secret {secretNamespace ?? gateway.Namespace}/{secretName}.");
            }

            if (RegistryMirrors.FromLab(gateway.Lab) is { } labMirror)
            {
                mirrors.Add(labMirror);
                WriteVerbose($"Using the Lab's registry mirror {labMirror}.");
            }
        }

        string configPath = RegistryConfigPath is null ? DockerConfig.DefaultPath() : ResolvePath(RegistryConfigPath);
        credentials.AddRange(DockerConfig.ReadFile(configPath, mustExist: RegistryConfigPath is not null));

        return new RegistryClient(new RegistryOptions
        {
            Credentials = credentials,
            Mirrors = mirrors,
            HostsDirectory = RegistryHostsPath is null ? null : ResolvePath(RegistryHostsPath),
            CaCertificatePath = CaCertificatePath is null ? null : ResolvePath(CaCertificatePath),
            SkipTlsVerify = SkipTlsVerify,
            AllowInsecureHttp = AllowInsecureHttp,
            OnRetry = OnRetry,
            Log = message => Post(() => WriteDebug(message)),
        });
    }

    protected override void OnDispose()
    {
        registry?.Dispose();
        base.OnDispose();
    }
}
