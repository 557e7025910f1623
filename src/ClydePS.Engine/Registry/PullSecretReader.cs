using System.Text;
using ClydePS.Engine.Kube;
using k8s;
using k8s.Models;

namespace ClydePS.Engine.Registry;

/// <summary>Reads registry credentials from a Kubernetes pull secret (<c>kubernetes.io/dockerconfigjson</c> or the legacy <c>kubernetes.io/dockercfg</c>).</summary>
public static class PullSecretReader
{
    public static async Task<IReadOnlyDictionary<string, RegistryCredential>> ReadAsync(
        ClusterGateway gateway, string name, string? @namespace, CancellationToken cancellationToken)
    {
        var ns = string.IsNullOrEmpty(@namespace) ? gateway.Namespace : @namespace;
        var target = $"{ns}/{name}";
        V1Secret secret;
        try
        {
            secret = await gateway.CallAsync("read secret", target,
                (client, ct) => client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        }
        catch (ClydeException e) when (e.Kind == ClydeErrorKind.NotFound)
        {
            throw new ClydeException(ClydeErrorKind.NotFound, RegistryErrorIds.PullSecretNotFound,
                $"The image pull secret {target} does not exist in context '{gateway.ContextName}'. Check the name and the namespace, or create it with " +
                $"'kubectl create secret docker-registry {name} --namespace {ns} --docker-server=<registry> --docker-username=<user> --docker-password=<password>'.",
                target, e);
        }
        var source = $"secret {target}";
        if (secret.Data is not null && secret.Data.TryGetValue(".dockerconfigjson", out var configJson))
        {
            var credentials = DockerConfig.Parse(configJson, source, RegistryErrorIds.PullSecretInvalid);
            Remember(gateway, credentials);
            return credentials;
        }
        if (secret.Data is not null && secret.Data.TryGetValue(".dockercfg", out var legacy))
        {
            // The legacy format is the 'auths' object itself.
            var wrapped = Encoding.UTF8.GetBytes("{\"auths\":" + Encoding.UTF8.GetString(legacy) + "}");
            var credentials = DockerConfig.Parse(wrapped, source, RegistryErrorIds.PullSecretInvalid);
            Remember(gateway, credentials);
            return credentials;
        }
        throw new ClydeException(ClydeErrorKind.Invalid, RegistryErrorIds.PullSecretInvalid,
            $"Secret {target} is of type '{secret.Type}' and has no .dockerconfigjson key; an image pull secret has type kubernetes.io/dockerconfigjson. Create one with 'kubectl create secret docker-registry'.",
            target);
    }

    private static void Remember(ClusterGateway gateway, IReadOnlyDictionary<string, RegistryCredential> credentials)
    {
        foreach (var credential in credentials.Values)
        {
            gateway.Errors.Redactor.AddSecret(credential.Password);
            gateway.Errors.Redactor.AddSecret(credential.BasicValue);
        }
    }
}
