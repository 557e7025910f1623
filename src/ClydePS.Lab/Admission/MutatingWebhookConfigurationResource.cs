using ClydePS.Lab.Patch;
using ClydePS.Lab.Resources;
using ClydePS.Lab.Resources.Core;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Admission;

/// <summary>admissionregistration.k8s.io/v1 MutatingWebhookConfiguration: the v1 defaults and validation.</summary>
public static class MutatingWebhookConfigurationResource
{
    public static ResourceDefinition Definition() => new()
    {
        Group = "admissionregistration.k8s.io", Version = "v1", Plural = "mutatingwebhookconfigurations", Singular = "mutatingwebhookconfiguration",
        Kind = "MutatingWebhookConfiguration", Namespaced = false, ClrType = typeof(V1MutatingWebhookConfiguration), StorageVersionHash = "Sqi0GUgDaX0=",
        Table = new SimpleTable([SimpleTable.Name,
                new("Webhooks", "integer", "Webhooks is a list of webhooks and the affected resources and operations."), SimpleTable.Age],
            (o, now) => [o.Metadata.Name, (long)(((V1MutatingWebhookConfiguration)o).Webhooks?.Count ?? 0), SimpleTable.Age_(o, now)]),
        Defaulter = o =>
        {
            foreach (var w in ((V1MutatingWebhookConfiguration)o).Webhooks ?? [])
            {
                w.FailurePolicy ??= "Fail";
                w.MatchPolicy ??= "Equivalent";
                w.NamespaceSelector ??= new V1LabelSelector();
                w.ObjectSelector ??= new V1LabelSelector();
                w.TimeoutSeconds ??= 10;
                w.ReinvocationPolicy ??= "Never";
                if (w.ClientConfig?.Service is { } s) s.Port ??= 443;
                foreach (var r in w.Rules ?? []) r.Scope ??= "*";
            }
        },
        Validator = (o, old) =>
        {
            var c = (V1MutatingWebhookConfiguration)o;
            var causes = Validation.ObjectMeta(o, false, Validation.SubdomainError);
            var names = new HashSet<string>();
            for (var i = 0; i < (c.Webhooks?.Count ?? 0); i++)
            {
                var w = c.Webhooks![i];
                var f = $"webhooks[{i}]";
                if (string.IsNullOrEmpty(w.Name)) causes.Add(Validation.Required(f + ".name"));
                else if (Validation.SubdomainError(w.Name) is { } ne) causes.Add(Validation.InvalidValue(f + ".name", w.Name, ne));
                else if (w.Name.Split('.').Length < 3) causes.Add(Validation.InvalidValue(f + ".name", w.Name, "should be a domain with at least three segments separated by dots"));
                else if (!names.Add(w.Name)) causes.Add(Validation.Duplicate(f + ".name", w.Name));
                if (w.AdmissionReviewVersions is not { Count: > 0 })
                    causes.Add(Validation.Required(f + ".admissionReviewVersions", "must specify one of v1, v1beta1"));
                else if (!w.AdmissionReviewVersions.Any(v => v is "v1" or "v1beta1"))
                    causes.Add(Validation.NotSupported(f + ".admissionReviewVersions", w.AdmissionReviewVersions[0], "v1", "v1beta1"));
                if (w.SideEffects is not ("None" or "NoneOnDryRun"))
                {
                    if (string.IsNullOrEmpty(w.SideEffects)) causes.Add(Validation.Required(f + ".sideEffects", "must specify one of None, NoneOnDryRun"));
                    else causes.Add(Validation.NotSupported(f + ".sideEffects", w.SideEffects, "None", "NoneOnDryRun"));
                }
                if (w.FailurePolicy is not ("Fail" or "Ignore")) causes.Add(Validation.NotSupported(f + ".failurePolicy", w.FailurePolicy ?? "", "Fail", "Ignore"));
                if (w.TimeoutSeconds is < 1 or > 30)
                    causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {w.TimeoutSeconds}: the timeout value must be between 1 and 30 seconds", f + ".timeoutSeconds"));
                if (w.ReinvocationPolicy is not ("Never" or "IfNeeded")) causes.Add(Validation.NotSupported(f + ".reinvocationPolicy", w.ReinvocationPolicy ?? "", "IfNeeded", "Never"));
                var cc = w.ClientConfig;
                if (cc is null || (cc.Url is null) == (cc.Service is null))
                    causes.Add(Validation.Required(f + ".clientConfig", "exactly one of url or service is required"));
                else if (cc.Url is not null)
                {
                    if (!Uri.TryCreate(cc.Url, UriKind.Absolute, out var u)) causes.Add(Validation.InvalidValue(f + ".clientConfig.url", cc.Url, "host must be specified"));
                    else if (u.Scheme != "https") causes.Add(Validation.InvalidValue(f + ".clientConfig.url", cc.Url, "'https' is the only allowed URL scheme"));
                }
                else if (string.IsNullOrEmpty(cc.Service!.Name)) causes.Add(Validation.Required(f + ".clientConfig.service.name", "service name is required"));
                else if (string.IsNullOrEmpty(cc.Service.NamespaceProperty)) causes.Add(Validation.Required(f + ".clientConfig.service.namespace", "service namespace is required"));
                for (var j = 0; j < (w.Rules?.Count ?? 0); j++)
                {
                    var r = w.Rules![j];
                    if (r.Operations is not { Count: > 0 }) causes.Add(Validation.Required($"{f}.rules[{j}].operations"));
                    if (r.ApiVersions is not { Count: > 0 }) causes.Add(Validation.Required($"{f}.rules[{j}].apiVersions"));
                    if (r.Resources is not { Count: > 0 }) causes.Add(Validation.Required($"{f}.rules[{j}].resources"));
                    if (r.Scope is not ("*" or "Cluster" or "Namespaced")) causes.Add(Validation.NotSupported($"{f}.rules[{j}].scope", r.Scope ?? "", "*", "Cluster", "Namespaced"));
                }
            }
            return causes;
        },
        PatchSchema = Schema(),
    };

    static PatchSchema Schema()
    {
        var m = PatchSchema.MetadataEntries();
        m["webhooks"] = "name";
        return new PatchSchema(m);
    }
}
