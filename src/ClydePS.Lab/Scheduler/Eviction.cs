using ClydePS.Lab.Resources;
using ClydePS.Lab.Store;

namespace ClydePS.Lab.Scheduler;

/// <summary>
/// The pods/eviction subresource: POST a policy/v1 Eviction -> the pod is deleted gracefully (honouring the
/// Eviction's deleteOptions gracePeriodSeconds and propagationPolicy), 201 with a Success Status. There is no
/// PodDisruptionBudget kind in the Lab, so an eviction is never refused with 429.
/// </summary>
public static class Eviction
{
    public static async Task HandleAsync(HttpContext ctx, LabHost lab)
    {
        var ns = (string)ctx.Request.RouteValues["ns"]!;
        var name = (string)ctx.Request.RouteValues["name"]!;
        lab.Stats.Count("create", "pods/eviction");
        try
        {
            var body = await Api.BodyDecoder.ReadJsonAsync(ctx.Request);
            var kind = body["kind"]?.GetValue<string>();
            var apiVersion = body["apiVersion"]?.GetValue<string>();
            if (kind is not null && kind != "Eviction" || apiVersion is not null && apiVersion is not ("policy/v1" or "policy/v1beta1"))
                throw ApiException.BadRequest($"no kind \"{kind}\" is registered for version \"{apiVersion}\" in scheme \"k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30\"");
            var ename = body["metadata"]?["name"]?.GetValue<string>();
            if (ename != name) throw ApiException.BadRequest("name in URL does not match name in Eviction object");
            var def = lab.Registry.Pods();
            if (lab.Store.Get(def, ns, name) is null) throw ApiException.NotFound("pods", "", name);
            var opts = body["deleteOptions"];
            long? grace = opts?["gracePeriodSeconds"]?.GetValue<long>();
            var policy = opts?["propagationPolicy"]?.GetValue<string>();
            lab.Rest.DeleteObjectGraceful(def, ns, name, grace, policy);
            await Api.ResponseWriter.WriteBytesAsync(ctx, 201,
                "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\",\"code\":201}"u8.ToArray());
        }
        catch (ApiException e)
        {
            await Api.ResponseWriter.WriteErrorAsync(ctx, e);
        }
        catch (InvalidOperationException)
        {
            await Api.ResponseWriter.WriteErrorAsync(ctx, ApiException.BadRequest("invalid Eviction body"));
        }
    }
}
