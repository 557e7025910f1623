using ClydePS.Lab.Resources;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Scheduler;

/// <summary>The pods/binding subresource: sets spec.nodeName and the PodScheduled condition, once.</summary>
public static class Binding
{
    public static StoredObject Bind(LabHost lab, string ns, string name, string nodeName, string? uid = null)
    {
        var def = lab.Registry.Pods();
        var (result, _) = lab.Store.Update(def, ns, name, cur =>
        {
            var pod = (V1Pod)def.Clone(cur.Object);
            if (uid is not null && pod.Metadata.Uid != uid)
                throw ApiException.Conflict("pods", "", name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {pod.Metadata.Uid}");
            if (pod.Metadata.DeletionTimestamp is not null)
                throw ApiException.Conflict("pods/binding", "", name, $"pod {name} is being deleted, cannot be assigned to a host");
            if (!string.IsNullOrEmpty(pod.Spec.NodeName))
                throw ApiException.Conflict("pods/binding", "", name, $"pod {name} is already assigned to node \"{pod.Spec.NodeName}\"");
            pod.Spec.NodeName = nodeName;
            pod.Status ??= new V1PodStatus();
            pod.Status.Conditions ??= new List<V1PodCondition>();
            var existing = pod.Status.Conditions.FirstOrDefault(c => c.Type == "PodScheduled");
            if (existing is null) pod.Status.Conditions.Add(new V1PodCondition { Type = "PodScheduled", Status = "True", LastTransitionTime = lab.Clock.UtcNowSeconds });
            else
            {
                existing.Status = "True";
                existing.Reason = null;
                existing.Message = null;
                existing.LastTransitionTime = lab.Clock.UtcNowSeconds;
            }
            return pod;
        });
        return result;
    }

    /// <summary>POST /api/v1/namespaces/{ns}/pods/{name}/binding with a v1 Binding body.</summary>
    public static async Task HandleAsync(HttpContext ctx, LabHost lab)
    {
        var ns = (string)ctx.Request.RouteValues["ns"]!;
        var name = (string)ctx.Request.RouteValues["name"]!;
        lab.Stats.Count("create", "pods/binding");
        try
        {
            var body = await Api.BodyDecoder.ReadJsonAsync(ctx.Request);
            var target = body["target"]?["name"]?.GetValue<string>();
            var bname = body["metadata"]?["name"]?.GetValue<string>();
            var uid = body["metadata"]?["uid"]?.GetValue<string>();
            if (!string.IsNullOrEmpty(bname) && bname != name)
                throw ApiException.BadRequest($"the name of the object ({bname}) does not match the name on the URL ({name})");
            if (string.IsNullOrEmpty(target))
                throw ApiException.Invalid("Binding", "", name, [Validation.Required("target.name")]);
            if (lab.Store.Get(lab.Registry.Pods(), ns, name) is null) throw ApiException.NotFound("pods", "", name);
            Bind(lab, ns, name, target, uid);
            await Api.ResponseWriter.WriteBytesAsync(ctx, 201,
                "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\",\"code\":201}"u8.ToArray());
        }
        catch (ApiException e)
        {
            await Api.ResponseWriter.WriteErrorAsync(ctx, e);
        }
    }
}
