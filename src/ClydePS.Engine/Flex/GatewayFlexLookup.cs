using System.Text.Json;
using System.Text.Json.Nodes;
using ClydePS.Engine.Kube;
using k8s;

namespace ClydePS.Engine.Flex;

/// <summary>The admission handler's cluster reads, through the gateway (retries, error mapping). NotFound answers null.</summary>
public sealed class GatewayFlexLookup(ClusterGateway gateway) : IFlexLookup
{
    public async Task<FlexTemplateSpec?> GetTemplateAsync(string name, CancellationToken cancellationToken)
    {
        var node = await FlexTemplates.GetRawAsync(gateway, name, cancellationToken).ConfigureAwait(false);
        return node is null ? null : FlexTemplateSpec.FromJson(node["spec"], name);
    }

    public async Task<IReadOnlyDictionary<string, string>?> GetNodeAllocatableAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var node = await gateway.CallAsync("read node", name, (c, ct) => c.CoreV1.ReadNodeAsync(name, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            return FlexTemplates.Allocatable(node);
        }
        catch (ClydeException e) when (e.StatusCode == 404)
        {
            return null;
        }
    }

    public async Task<string?> GetDaemonSetTemplateNameAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            var ds = await gateway.CallAsync("read DaemonSet", $"{@namespace}/{name}",
                (c, ct) => c.AppsV1.ReadNamespacedDaemonSetAsync(name, @namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            if (ds.Metadata?.Annotations?.TryGetValue(FlexNames.TemplateAnnotation, out var own) == true && !string.IsNullOrEmpty(own)) return own;
            return ds.Spec?.Template?.Metadata?.Annotations?.TryGetValue(FlexNames.TemplateAnnotation, out var t) == true ? t : null;
        }
        catch (ClydeException e) when (e.StatusCode == 404)
        {
            return null;
        }
    }
}
