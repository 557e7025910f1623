using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClydePS.Engine.Flex;

/// <summary>What the admission handler needs from the cluster. Each lookup returns null when the object does not exist.</summary>
public interface IFlexLookup
{
    /// <summary>The FlexDaemonsetTemplate's spec; throws <see cref="ClydeException"/> (ClydeFlexInvalidTemplate) when it is unusable.</summary>
    Task<FlexTemplateSpec?> GetTemplateAsync(string name, CancellationToken cancellationToken);

    /// <summary>The node's <c>status.allocatable</c> (resource name -> quantity text).</summary>
    Task<IReadOnlyDictionary<string, string>?> GetNodeAllocatableAsync(string name, CancellationToken cancellationToken);

    /// <summary>The template annotation of a DaemonSet (its own, else its pod template's); null when absent or no such DaemonSet.</summary>
    Task<string?> GetDaemonSetTemplateNameAsync(string @namespace, string name, CancellationToken cancellationToken);
}

/// <summary>How a review ended, for logs and tests.</summary>
public enum FlexOutcome
{
    /// <summary>Not a pod CREATE, or a pod without the template annotation or label: allowed untouched.</summary>
    NotConcerned,

    /// <summary>Resources patched in.</summary>
    Mutated,

    /// <summary>The pod's template does not exist or is unusable: allowed unchanged, with a warning.</summary>
    TemplateMissing,

    /// <summary>No node could be found for the pod (no nodeName and no matchFields affinity), or the node does not exist: allowed unchanged, with a warning.</summary>
    NodeMissing,

    /// <summary>Looking up the template or node failed (API unreachable): allowed unchanged, with a warning.</summary>
    LookupFailed,
}

/// <summary>The answer to one AdmissionReview: the response body and what happened.</summary>
public sealed record FlexAdmissionResult(
    string ResponseJson,
    FlexOutcome Outcome,
    string Uid,
    string? Namespace,
    string? Pod,
    string? Node,
    string? Template,
    FlexAllocation? Allocation,
    IReadOnlyList<string> Warnings,
    JsonArray? Patch);

/// <summary>
/// Handles <c>admission.k8s.io/v1 AdmissionReview</c> requests for pods (the webhook's <c>/mutate-v1-pod</c>), free of any
/// web framework. The node comes from <c>spec.nodeName</c> or, for a DaemonSet pod (created unbound), from the required node
/// affinity term <c>matchFields metadata.name In [node]</c> the DaemonSet controller sets; the template from the pod's
/// <c>flexdaemonsets.xai/resource-template</c> annotation (copied from the DaemonSet's pod template), else, for a pod
/// labelled <c>flexdaemonsets.xai/enabled</c> owned by a DaemonSet, from that DaemonSet's annotation. The answer is a
/// base64 JSONPatch setting each container's requests and limits (see <see cref="FlexCalculator"/>) and the
/// <c>flexdaemonsets.xai/applied</c> annotation. A pod it does not concern passes untouched; a missing template or node
/// admits the pod unchanged with a warning (blocking would stop the whole DaemonSet).
/// </summary>
public static class FlexAdmission
{
    /// <summary>Thrown for a body that is not an AdmissionReview with a request (the host answers 400).</summary>
    public sealed class BadReviewException(string message) : Exception(message);

    public static async Task<FlexAdmissionResult> ReviewAsync(ReadOnlyMemory<byte> body, IFlexLookup lookup, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        JsonNode? review;
        try { review = JsonNode.Parse(body.Span); }
        catch (JsonException e) { throw new BadReviewException("the body is not JSON: " + e.Message); }
        var request = review?["request"] as JsonObject ?? throw new BadReviewException("the body is not an AdmissionReview with a request");
        var uid = Str(request["uid"]) ?? throw new BadReviewException("request.uid is missing");
        var apiVersion = Str(review!["apiVersion"]) ?? "admission.k8s.io/v1";

        var kind = request["kind"] as JsonObject;
        var pod = request["object"] as JsonObject;
        var ns = Str(request["namespace"]) ?? Str(pod?["metadata"]?["namespace"]);
        var podName = Str(request["name"]) ?? Str(pod?["metadata"]?["name"]) ?? (Str(pod?["metadata"]?["generateName"]) is { } g ? g + "<generated>" : null);

        FlexAdmissionResult Result(FlexOutcome outcome, string? node = null, string? template = null, FlexAllocation? alloc = null,
            IReadOnlyList<string>? warnings = null, JsonArray? patch = null) =>
            new(Response(apiVersion, uid, warnings ?? [], patch), outcome, uid, ns, podName, node, template, alloc, warnings ?? [], patch);

        if (Str(kind?["kind"]) != "Pod" || (Str(kind?["group"]) ?? "") != "" || Str(request["operation"]) != "CREATE" || pod is null)
            return Result(FlexOutcome.NotConcerned);

        var metadata = pod["metadata"] as JsonObject;
        var templateName = Str(metadata?["annotations"]?[FlexNames.TemplateAnnotation]);
        if (string.IsNullOrEmpty(templateName))
        {
            // Only a pod that opted in with the label is worth a DaemonSet lookup.
            if (Str(metadata?["labels"]?[FlexNames.EnabledLabel]) == FlexNames.EnabledValue && OwnerDaemonSet(metadata) is { } owner && ns is not null)
            {
                try { templateName = await lookup.GetDaemonSetTemplateNameAsync(ns, owner, cancellationToken).ConfigureAwait(false); }
                catch (ClydeException e)
                {
                    return Result(FlexOutcome.LookupFailed, warnings: [$"flexdaemonsets: could not read DaemonSet {ns}/{owner} ({e.Message}); the pod is admitted without flex resources"]);
                }
            }
            if (string.IsNullOrEmpty(templateName)) return Result(FlexOutcome.NotConcerned);
        }

        var nodeName = NodeOf(pod);
        if (nodeName is null)
        {
            return Result(FlexOutcome.NodeMissing, template: templateName,
                warnings: [$"flexdaemonsets: the pod names no node (no spec.nodeName and no required node affinity on metadata.name); template \"{templateName}\" not applied"]);
        }

        FlexTemplateSpec? spec;
        try { spec = await lookup.GetTemplateAsync(templateName, cancellationToken).ConfigureAwait(false); }
        catch (ClydeException e) when (e.ErrorId == FlexErrorIds.InvalidTemplate)
        {
            return Result(FlexOutcome.TemplateMissing, nodeName, templateName, warnings: [$"flexdaemonsets: {e.Message}; the pod is admitted without flex resources"]);
        }
        catch (ClydeException e)
        {
            return Result(FlexOutcome.LookupFailed, nodeName, templateName, warnings: [$"flexdaemonsets: could not read FlexDaemonsetTemplate \"{templateName}\" ({e.Message}); the pod is admitted without flex resources"]);
        }
        if (spec is null)
        {
            return Result(FlexOutcome.TemplateMissing, nodeName, templateName,
                warnings: [$"flexdaemonsets: FlexDaemonsetTemplate \"{templateName}\" not found; the pod is admitted without flex resources"]);
        }

        IReadOnlyDictionary<string, string>? allocatable;
        try { allocatable = await lookup.GetNodeAllocatableAsync(nodeName, cancellationToken).ConfigureAwait(false); }
        catch (ClydeException e)
        {
            return Result(FlexOutcome.LookupFailed, nodeName, templateName, warnings: [$"flexdaemonsets: could not read node \"{nodeName}\" ({e.Message}); the pod is admitted without flex resources"]);
        }
        if (allocatable is null)
        {
            return Result(FlexOutcome.NodeMissing, nodeName, templateName,
                warnings: [$"flexdaemonsets: node \"{nodeName}\" not found; template \"{templateName}\" not applied"]);
        }

        var allocation = FlexCalculator.Calculate(spec, allocatable);
        var patch = BuildPatch(pod, allocation, $"template={templateName},node={nodeName},{allocation}");
        return Result(FlexOutcome.Mutated, nodeName, templateName, allocation, patch: patch);
    }

    /// <summary>
    /// The pod's node: <c>spec.nodeName</c>, else the single value of a <c>matchFields</c> requirement
    /// <c>metadata.name In [node]</c> in the required node affinity (what the DaemonSet controller sets). Null when neither
    /// names exactly one node.
    /// </summary>
    public static string? NodeOf(JsonObject pod)
    {
        if (Str(pod["spec"]?["nodeName"]) is { Length: > 0 } bound) return bound;
        var terms = pod["spec"]?["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"]?["nodeSelectorTerms"] as JsonArray;
        string? found = null;
        foreach (var term in terms ?? [])
        {
            foreach (var field in term?["matchFields"] as JsonArray ?? [])
            {
                if (Str(field?["key"]) != "metadata.name" || Str(field?["operator"]) != "In") continue;
                if (field?["values"] is not JsonArray { Count: 1 } values || Str(values[0]) is not { Length: > 0 } name) continue;
                if (found is not null && found != name) return null; // terms are ORed: several nodes, none is "the" node
                found = name;
            }
        }
        return found;
    }

    static string? OwnerDaemonSet(JsonObject? metadata)
    {
        foreach (var o in metadata?["ownerReferences"] as JsonArray ?? [])
        {
            if (Str(o?["kind"]) == "DaemonSet" && (Str(o?["apiVersion"]) ?? "").StartsWith("apps/", StringComparison.Ordinal)
                && o?["controller"] is JsonValue c && c.TryGetValue<bool>(out var isController) && isController)
                return Str(o?["name"]);
        }
        return null;
    }

    /// <summary>The JSONPatch: each container's resources (requests = limits for the computed resources, others kept) and the applied annotation.</summary>
    public static JsonArray BuildPatch(JsonObject pod, FlexAllocation allocation, string appliedNote)
    {
        var spec = pod["spec"] as JsonObject ?? throw new BadReviewException("the pod has no spec");
        var containers = new List<(string Path, JsonObject Container, FlexContainer Info)>();
        if (spec["initContainers"] is JsonArray inits)
            for (int i = 0; i < inits.Count; i++)
                if (inits[i] is JsonObject c)
                    containers.Add(($"/spec/initContainers/{i}", c, new FlexContainer(Str(c["name"]) ?? "", true, Str(c["restartPolicy"]) == "Always")));
        if (spec["containers"] is JsonArray apps)
            for (int i = 0; i < apps.Count; i++)
                if (apps[i] is JsonObject c)
                    containers.Add(($"/spec/containers/{i}", c, new FlexContainer(Str(c["name"]) ?? "")));

        var shares = FlexCalculator.Share(allocation, containers.Select(c => c.Info).ToList());
        var patch = new JsonArray();
        for (int i = 0; i < containers.Count; i++)
        {
            var (path, container, _) = containers[i];
            var resources = container["resources"]?.DeepClone() as JsonObject ?? new JsonObject();
            var requests = resources["requests"] as JsonObject ?? new JsonObject();
            var limits = resources["limits"] as JsonObject ?? new JsonObject();
            foreach (var (name, value) in shares[i].ToResourceList())
            {
                requests[name] = value;
                limits[name] = value;
            }
            resources["requests"] = requests;
            resources["limits"] = limits;
            patch.Add(new JsonObject { ["op"] = "add", ["path"] = path + "/resources", ["value"] = resources });
        }

        var metadata = pod["metadata"] as JsonObject;
        if (metadata?["annotations"] is not JsonObject)
            patch.Add(new JsonObject { ["op"] = "add", ["path"] = "/metadata/annotations", ["value"] = new JsonObject() });
        patch.Add(new JsonObject
        {
            ["op"] = "add",
            ["path"] = "/metadata/annotations/" + FlexNames.AppliedAnnotation.Replace("~", "~0").Replace("/", "~1"),
            ["value"] = appliedNote,
        });
        return patch;
    }

    static string Response(string apiVersion, string uid, IReadOnlyList<string> warnings, JsonArray? patch)
    {
        var response = new JsonObject { ["uid"] = uid, ["allowed"] = true };
        if (patch is not null)
        {
            response["patchType"] = "JSONPatch";
            response["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(patch.ToJsonString()));
        }
        if (warnings.Count > 0) response["warnings"] = new JsonArray(warnings.Select(w => (JsonNode)JsonValue.Create(w)!).ToArray());
        return new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = "AdmissionReview", ["response"] = response }.ToJsonString();
    }

    static string? Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
