using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClydePS.Lab.Patch;
using ClydePS.Lab.Resources;
using ClydePS.Lab.Resources.Core;
using ClydePS.Lab.Store;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Admission;

/// <summary>
/// The MutatingAdmissionWebhook plugin: on every create, each MutatingWebhookConfiguration (by name) and
/// each of its webhooks (in order) whose rules (operations, apiGroups, apiVersions, resources, scope),
/// namespaceSelector and objectSelector match is called with an admission.k8s.io/v1 AdmissionReview over
/// HTTPS, verifying the server against the webhook's caBundle, within timeoutSeconds; the returned
/// base64 JSONPatch is applied and its warnings passed on. A call that fails is an error
/// (<c>Internal error occurred: failed calling webhook "x": ...</c>) under failurePolicy Fail and
/// ignored under Ignore. A Lab Service has no process behind it, so <c>clientConfig.service</c> is
/// resolved through the Service's <c>lab.clydeps.io/endpoint</c> annotation (e.g.
/// <c>https://127.0.0.1:8443</c>; the service path is appended).
/// </summary>
public sealed class MutatingWebhookPlugin(LabHost lab) : IAdmissionPlugin
{
    public const string EndpointAnnotation = "lab.clydeps.io/endpoint";

    ResourceDefinition Configs => lab.Registry.Get("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations");

    public void Admit(AdmissionAttributes a)
    {
        var configs = lab.Store.List(Configs, null).Items;
        if (configs.Count == 0) return;
        foreach (var co in configs)
        {
            foreach (var w in ((V1MutatingWebhookConfiguration)co.Object).Webhooks ?? [])
            {
                if (!RulesMatch(w.Rules, a) || !SelectorsMatch(w, a)) continue;
                if (a.DryRun && w.SideEffects is not ("None" or "NoneOnDryRun"))
                    throw ApiException.BadRequest($"admission webhook \"{w.Name}\" does not support dry run");
                try
                {
                    Call(w, a);
                }
                catch (WebhookCallException e)
                {
                    if (w.FailurePolicy == "Ignore") continue;
                    throw new ApiException(500, "InternalError", $"Internal error occurred: failed calling webhook \"{w.Name}\": {e.Message}")
                    {
                        Causes = [new StatusCause("", $"failed calling webhook \"{w.Name}\": {e.Message}", "")],
                    };
                }
            }
        }
    }

    sealed class WebhookCallException(string message) : Exception(message);

    static bool Has(IList<string>? list, string value) => list is not null && (list.Contains("*") || list.Contains(value));

    static bool RulesMatch(IList<V1RuleWithOperations>? rules, AdmissionAttributes a)
    {
        foreach (var r in rules ?? [])
        {
            if (!Has(r.Operations, a.Operation)) continue;
            if (!Has(r.ApiGroups, a.Def.Group) || !Has(r.ApiVersions, a.Def.Version)) continue;
            if (!(r.Resources ?? []).Any(x => x == "*" || x == a.Def.Plural || x == "*/*" && false)) continue;
            var scope = r.Scope ?? "*";
            if (scope == "Namespaced" && !a.Def.Namespaced || scope == "Cluster" && a.Def.Namespaced) continue;
            return true;
        }
        return false;
    }

    bool SelectorsMatch(V1MutatingWebhook w, AdmissionAttributes a)
    {
        if (!SelectorMatch.Matches(w.ObjectSelector, a.Object.Metadata.Labels)) return false;
        if (w.NamespaceSelector is { } ns && (ns.MatchLabels is { Count: > 0 } || ns.MatchExpressions is { Count: > 0 }))
        {
            IDictionary<string, string>? labels;
            if (ReferenceEquals(a.Def, lab.Registry.Namespaces())) labels = a.Object.Metadata.Labels;
            else if (!a.Def.Namespaced) return true; // cluster-scoped objects are not subject to namespaceSelector
            else labels = lab.Store.Get(lab.Registry.Namespaces(), "", a.Object.Metadata.NamespaceProperty ?? "")?.Object.Metadata.Labels;
            if (!SelectorMatch.Matches(ns, labels)) return false;
        }
        return true;
    }

    string ResolveUrl(V1MutatingWebhook w, out string display)
    {
        var cc = w.ClientConfig;
        var timeout = $"?timeout={w.TimeoutSeconds ?? 10}s";
        if (cc.Url is not null)
        {
            display = cc.Url + (cc.Url.Contains('?') ? "&" + timeout[1..] : timeout);
            return display;
        }
        var s = cc.Service;
        var path = s.Path ?? "";
        display = $"https://{s.Name}.{s.NamespaceProperty}.svc:{s.Port ?? 443}{path}{timeout}";
        var svc = lab.Store.Get(lab.Registry.Services(), s.NamespaceProperty, s.Name)?.Object as V1Service
            ?? throw new WebhookCallException($"failed to call webhook: Post \"{display}\": service \"{s.Name}\" not found");
        if (svc.Metadata.Annotations?.TryGetValue(EndpointAnnotation, out var endpoint) != true || string.IsNullOrEmpty(endpoint))
            throw new WebhookCallException($"failed to call webhook: Post \"{display}\": no endpoints available for service \"{s.Name}\"");
        return endpoint!.TrimEnd('/') + path + timeout;
    }

    void Call(V1MutatingWebhook w, AdmissionAttributes a)
    {
        var url = ResolveUrl(w, out var display);
        var uid = Guid.NewGuid().ToString();
        var body = Review(uid, a);
        var timeout = TimeSpan.FromSeconds(w.TimeoutSeconds ?? 10);
        X509Certificate2Collection? roots = null;
        if (w.ClientConfig.CaBundle is { Length: > 0 } ca)
        {
            roots = new X509Certificate2Collection();
            try { roots.ImportFromPem(Encoding.UTF8.GetString(ca)); }
            catch (System.Security.Cryptography.CryptographicException) { }
        }
        string? tlsError = null;
        using var handler = new SocketsHttpHandler
        {
            ConnectTimeout = timeout,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                {
                    if (cert is null) { tlsError = "tls: failed to verify certificate: x509: certificate is missing"; return false; }
                    if (roots is null)
                    {
                        if (errors == SslPolicyErrors.None) return true;
                        tlsError = "tls: failed to verify certificate: x509: certificate signed by unknown authority";
                        return false;
                    }
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    if (!chain.Build(new X509Certificate2(cert)))
                    {
                        tlsError = "tls: failed to verify certificate: x509: certificate signed by unknown authority";
                        return false;
                    }
                    if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                    {
                        tlsError = $"tls: failed to verify certificate: x509: certificate is valid for other names, not {new Uri(url).Host}";
                        return false;
                    }
                    return true;
                },
            },
        };
        using var client = new HttpClient(handler) { Timeout = timeout };
        using var req = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        req.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        req.Headers.Accept.ParseAdd("application/json");
        HttpResponseMessage resp;
        try
        {
            resp = client.Send(req);
        }
        catch (TaskCanceledException)
        {
            throw new WebhookCallException($"failed to call webhook: Post \"{display}\": context deadline exceeded");
        }
        catch (HttpRequestException e)
        {
            var why = tlsError ?? (e.InnerException is System.Net.Sockets.SocketException se && se.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused
                ? $"dial tcp {new Uri(url).Authority}: connect: connection refused" : e.Message);
            throw new WebhookCallException($"failed to call webhook: Post \"{display}\": {why}");
        }
        using (resp)
        {
            string text;
            try { text = resp.Content.ReadAsStringAsync().GetAwaiter().GetResult(); }
            catch (TaskCanceledException) { throw new WebhookCallException($"failed to call webhook: Post \"{display}\": context deadline exceeded"); }
            if ((int)resp.StatusCode is < 200 or >= 300)
                throw new WebhookCallException($"failed to call webhook: the server responded with the status code {(int)resp.StatusCode} but did not return more information");
            JsonNode? review;
            try { review = JsonNode.Parse(text); }
            catch (JsonException e) { throw new WebhookCallException("received invalid webhook response: " + e.Message); }
            var response = review?["response"] as JsonObject ?? throw new WebhookCallException("expected response to be non-nil");
            if ((string?)response["uid"] != uid)
                throw new WebhookCallException($"expected response.uid=\"{uid}\", got \"{(string?)response["uid"]}\"");
            foreach (var warn in response["warnings"] as JsonArray ?? []) if (warn is not null) a.Request.Warnings.Add((string)warn!);
            if (response["allowed"]?.GetValue<bool>() != true)
            {
                var st = response["status"] as JsonObject;
                var code = st?["code"]?.GetValue<int>() ?? 0;
                if (code < 400) code = 400;
                var message = (string?)st?["message"];
                var reason = (string?)st?["reason"] ?? "";
                var deniedBy = $"admission webhook \"{w.Name}\" denied the request";
                throw new ApiException(code, reason, !string.IsNullOrEmpty(message) ? $"{deniedBy}: {message}" : reason.Length > 0 ? $"{deniedBy}: {reason}" : $"{deniedBy} without explanation")
                { HasDetails = false };
            }
            if (response["patch"] is JsonValue pv && pv.TryGetValue<string>(out var patchB64) && patchB64.Length > 0)
            {
                var pt = (string?)response["patchType"];
                if (pt != "JSONPatch") throw new WebhookCallException($"unsupported patch type \"{pt}\"");
                JsonNode patch;
                try { patch = JsonNode.Parse(Convert.FromBase64String(patchB64))!; }
                catch (Exception e) when (e is FormatException or JsonException) { throw new WebhookCallException("received invalid webhook response: " + e.Message); }
                var original = JsonNode.Parse(KubernetesJson.Serialize(a.Object))!;
                JsonNode patched;
                try { patched = JsonPatch.Apply(original, patch); }
                catch (ApiException e) { throw new WebhookCallException(e.Message); }
                try
                {
                    var obj = a.Def.DeserializeNode(patched);
                    obj.ApiVersion = a.Def.ApiVersion;
                    obj.Kind = a.Def.Kind;
                    a.Object = obj;
                    a.Mutated = true;
                }
                catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
                {
                    throw new WebhookCallException(e.Message);
                }
            }
        }
    }

    byte[] Review(string uid, AdmissionAttributes a)
    {
        var d = a.Def;
        var gvk = new JsonObject { ["group"] = d.Group, ["version"] = d.Version, ["kind"] = d.Kind };
        var gvr = new JsonObject { ["group"] = d.Group, ["version"] = d.Version, ["resource"] = d.Plural };
        var request = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = gvk,
            ["resource"] = gvr,
            ["requestKind"] = gvk.DeepClone(),
            ["requestResource"] = gvr.DeepClone(),
        };
        if (!string.IsNullOrEmpty(a.Object.Metadata.Name) && !a.NameGenerated) request["name"] = a.Object.Metadata.Name;
        if (d.Namespaced) request["namespace"] = a.Object.Metadata.NamespaceProperty;
        request["operation"] = a.Operation;
        request["userInfo"] = new JsonObject
        {
            ["username"] = a.Request.User.Name,
            ["groups"] = new JsonArray(a.Request.User.Groups.Select(g => (JsonNode)JsonValue.Create(g)!).ToArray()),
        };
        var obj = JsonNode.Parse(KubernetesJson.Serialize(a.Object))!;
        if (a.NameGenerated) (obj["metadata"] as JsonObject)?.Remove("name");
        request["object"] = obj;
        request["oldObject"] = null;
        request["dryRun"] = a.DryRun;
        request["options"] = new JsonObject { ["kind"] = "CreateOptions", ["apiVersion"] = "meta.k8s.io/v1" };
        var review = new JsonObject { ["kind"] = "AdmissionReview", ["apiVersion"] = "admission.k8s.io/v1", ["request"] = request };
        return Encoding.UTF8.GetBytes(review.ToJsonString());
    }
}
