using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClydePS.Lab.Patch;
using ClydePS.Lab.Resources;
using ClydePS.Lab.Selectors;
using ClydePS.Lab.Store;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Api;

/// <summary>The generic REST semantics (get, list, create, update, patch, delete, deletecollection) for any registered resource.</summary>
public sealed class RestHandler
{
    readonly ObjectStore _store;
    readonly LabClock _clock;
    readonly RequestStats _stats;
    readonly WatchHandler _watch;
    readonly Random _random;

    /// <summary>Mutating admission plugins run on every create (REST and in-process), in order; see <see cref="Admission.IAdmissionPlugin"/>.</summary>
    public List<Admission.IAdmissionPlugin> AdmissionPlugins { get; } = [];

    public RestHandler(ObjectStore store, LabClock clock, RequestStats stats, WatchHandler watch, Random random)
    {
        _store = store;
        _clock = clock;
        _stats = stats;
        _watch = watch;
        _random = random;
    }

    public async Task HandleAsync(HttpContext ctx, string group, string version, string rest)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        string verb = "", resource = rest;
        RequestTarget? target = null;
        var body = ctx.Response.Body;
        ctx.Response.Body = new CountingResponseStream(body, _stats);
        _stats.AddBytes(ctx.Request.ContentLength ?? 0, 0);
        try
        {
            await HandleCoreAsync(ctx, group, version, rest, (v, t) => { verb = v; target = t; resource = t.ResourceForStats; });
        }
        finally
        {
            ctx.Response.Body = body;
            _stats.Record(new RequestLogEntry(_clock.UtcNow, verb, resource, target?.Namespace, target?.Name, ctx.Response.StatusCode,
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, ctx.Request.Headers.UserAgent.ToString(),
                ctx.Request.QueryString.Value ?? ""));
        }
    }

    async Task HandleCoreAsync(HttpContext ctx, string group, string version, string rest, Action<string, RequestTarget> identified)
    {
        try
        {
            var target = RequestTarget.Parse(_store.Registry, group, version, rest) ?? throw ApiException.ResourceNotFound();
            if (target.Subresource is not null && !(target.Subresource == "status" && target.Def.HasStatus))
                throw ApiException.ResourceNotFound();
            var method = ctx.Request.Method;
            var q = ctx.Request.Query;
            string verb = (method, target.Name is null) switch
            {
                ("GET", true) => q["watch"] is var w && (w == "true" || w == "1") ? "watch" : "list",
                ("GET", false) => "get",
                ("POST", true) => "create",
                ("PUT", false) => "update",
                ("PATCH", false) => "patch",
                ("DELETE", false) => "delete",
                ("DELETE", true) => "deletecollection",
                _ => throw ApiException.MethodNotAllowed(),
            };
            _stats.Count(verb, target.ResourceForStats);
            identified(verb, target);
            if (verb == "create" && target.Def.Namespaced && target.Namespace is null) throw ApiException.MethodNotAllowed();
            if (verb == "deletecollection" && (target.Def.Namespaced && target.Namespace is null || !target.Def.Verbs.Contains("deletecollection")))
                throw ApiException.MethodNotAllowed();
            switch (verb)
            {
                case "get": await GetAsync(ctx, target); break;
                case "list": await ListAsync(ctx, target); break;
                case "watch": await _watch.HandleAsync(ctx, target); break;
                case "create": await CreateAsync(ctx, target); break;
                case "update": await UpdateAsync(ctx, target); break;
                case "patch": await PatchAsync(ctx, target); break;
                case "delete": await DeleteAsync(ctx, target); break;
                case "deletecollection": await DeleteCollectionAsync(ctx, target); break;
            }
        }
        catch (ApiException e)
        {
            if (!ctx.Response.HasStarted) await ResponseWriter.WriteErrorAsync(ctx, e);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException or ArgumentException or KeyNotFoundException or InvalidCastException)
        {
            // malformed input that slipped past the decoders (e.g. a patch with a value of the wrong type)
            if (!ctx.Response.HasStarted) await ResponseWriter.WriteErrorAsync(ctx, ApiException.BadRequest(e.Message));
        }
    }

    Task WriteObjectAsync(HttpContext ctx, int code, StoredObject o)
    {
        if (ResponseWriter.WantsTable(ctx.Request))
            return ResponseWriter.WriteTableAsync(ctx, o.Def, [o], null, _clock.UtcNow,
                ResponseWriter.ParseIncludeObject(ctx.Request.Query["includeObject"]));
        return ResponseWriter.WriteBytesAsync(ctx, code, o.Json);
    }

    async Task GetAsync(HttpContext ctx, RequestTarget t)
    {
        var o = _store.Get(t.Def, t.Namespace ?? "", t.Name!) ?? throw ApiException.NotFound(t.Def.Plural, t.Def.Group, t.Name!);
        await WriteObjectAsync(ctx, 200, o);
    }

    // ---- list ----

    sealed record ContinueToken(string v, long rv, string start);

    static string EncodeContinue(long rv, string lastKey)
    {
        var json = JsonSerializer.Serialize(new ContinueToken("meta.k8s.io/v1", rv, lastKey + "\u0000"));
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    static ContinueToken DecodeContinue(string token)
    {
        try
        {
            var b64 = token.Replace('-', '+').Replace('_', '/');
            b64 += new string('=', (4 - b64.Length % 4) % 4);
            var t = JsonSerializer.Deserialize<ContinueToken>(Convert.FromBase64String(b64));
            if (t is null || t.v != "meta.k8s.io/v1" || t.start is null) throw new FormatException();
            return t with { start = t.start.TrimEnd('\0') };
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw ApiException.BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
        }
    }

    public static (LabelSelector Labels, FieldSelector Fields) Selectors(HttpRequest req, ResourceDefinition def) =>
        (LabelSelector.Parse(req.Query["labelSelector"]), FieldSelector.Parse(req.Query["fieldSelector"], def));

    async Task ListAsync(HttpContext ctx, RequestTarget t)
    {
        var q = ctx.Request.Query;
        var (labels, fields) = Selectors(ctx.Request, t.Def);
        long limit = 0;
        if (q["limit"].Count > 0 && !long.TryParse(q["limit"], out limit)) throw ApiException.BadRequest($"invalid limit: {q["limit"]}");
        string? startAfter = null;
        long? pinnedRv = null;
        if (q["continue"] is { Count: > 0 } cont && cont.ToString().Length > 0)
        {
            var token = DecodeContinue(cont!);
            startAfter = token.start;
            pinnedRv = token.rv;
        }
        var (all, rv) = _store.List(t.Def, t.Namespace, startAfter);
        var items = new List<StoredObject>();
        string? next = null;
        long? remaining = null;
        var filtering = !labels.IsEmpty || !fields.IsEmpty;
        for (var i = 0; i < all.Count; i++)
        {
            var o = all[i];
            if (filtering && !(labels.Matches(o.Object.Metadata.Labels) && fields.Matches(o.Object, t.Def))) continue;
            if (limit > 0 && items.Count == limit)
            {
                next = EncodeContinue(pinnedRv ?? rv, items[^1].Key);
                if (!filtering) remaining = all.Count - i;
                break;
            }
            items.Add(o);
        }
        var meta = new ResponseWriter.ListMeta(pinnedRv ?? rv, next, remaining);
        if (ResponseWriter.WantsTable(ctx.Request))
            await ResponseWriter.WriteTableAsync(ctx, t.Def, items, meta, _clock.UtcNow, ResponseWriter.ParseIncludeObject(q["includeObject"]));
        else
            await ResponseWriter.WriteListAsync(ctx, t.Def, items, meta);
    }

    // ---- writes ----

    static bool DryRun(HttpRequest req)
    {
        var values = req.Query["dryRun"];
        foreach (var v in values)
            if (v != "All") throw ApiException.BadRequest($"Invalid dryRun: [{string.Join(" ", values.ToArray())}]: supported values: \"All\"");
        return values.Count > 0;
    }

    static void AddWarnings(HttpContext ctx, List<string> warnings)
    {
        foreach (var w in warnings.Distinct())
            ctx.Response.Headers.Append("Warning", "299 - \"" + w.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"");
    }

    const string NameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    string RandomSuffix()
    {
        lock (_random)
            return new string(Enumerable.Range(0, 5).Select(_ => NameAlphabet[_random.Next(NameAlphabet.Length)]).ToArray());
    }

    static void ThrowIfInvalid(ResourceDefinition def, IKubernetesObject<V1ObjectMeta> obj, IKubernetesObject<V1ObjectMeta>? old)
    {
        var causes = def.Validator?.Invoke(obj, old) ?? Validation.ObjectMeta(obj, def.Namespaced, Validation.SubdomainError);
        if (causes.Count > 0) throw ApiException.Invalid(def.Kind, def.Group, obj.Metadata.Name ?? "", causes);
    }

    async Task CreateAsync(HttpContext ctx, RequestTarget t)
    {
        var validation = BodyDecoder.ParseFieldValidation(ctx.Request.Query["fieldValidation"]);
        var node = await ReadBodyAsync(ctx, ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]);
        var warnings = new List<string>();
        var obj = BodyDecoder.ToObject(t.Def, node, validation, warnings);
        var admission = new Admission.AdmissionRequestInfo { User = ctx.Items["lab.user"] as Auth.LabUser ?? Admission.AdmissionRequestInfo.ControllerUser };
        var stored = CreateObject(t.Def, t.Namespace, obj, DryRun(ctx.Request), admission);
        warnings.AddRange(admission.Warnings);
        AddWarnings(ctx, warnings);
        await WriteObjectAsync(ctx, 201, stored);
    }

    /// <summary>The create path shared by the REST layer and in-process writers (cluster seeding, controllers).</summary>
    public StoredObject CreateObject(ResourceDefinition def, string? urlNamespace, IKubernetesObject<V1ObjectMeta> obj, bool dryRun = false,
        Admission.AdmissionRequestInfo? admission = null)
    {
        var m = obj.Metadata;
        if (def.Namespaced)
        {
            if (urlNamespace is not null && !string.IsNullOrEmpty(m.NamespaceProperty) && m.NamespaceProperty != urlNamespace)
                throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            if (urlNamespace is not null) m.NamespaceProperty = urlNamespace;
        }
        else m.NamespaceProperty = null;
        var generated = string.IsNullOrEmpty(m.Name) && !string.IsNullOrEmpty(m.GenerateName);
        for (var attempt = 0; ; attempt++)
        {
            var candidate = attempt == 0 ? obj : def.Clone(obj);
            var cm = candidate.Metadata;
            if (generated) cm.Name = cm.GenerateName + RandomSuffix();
            cm.Uid = Guid.NewGuid().ToString();
            cm.CreationTimestamp = _clock.UtcNowSeconds;
            cm.ResourceVersion = null;
            cm.DeletionTimestamp = null;
            cm.DeletionGracePeriodSeconds = null;
            cm.SelfLink = null;
            cm.Generation = def.TracksGeneration ? 1 : null;
            def.Defaulter?.Invoke(candidate);
            lock (_random) def.PrepareForCreate?.Invoke(candidate, new AdmissionContext { Store = _store, Random = _random });
            if (AdmissionPlugins.Count > 0)
            {
                var attrs = new Admission.AdmissionAttributes
                {
                    Def = def, Operation = "CREATE", Object = candidate, DryRun = dryRun, Request = admission ?? new Admission.AdmissionRequestInfo(),
                    NameGenerated = generated,
                };
                foreach (var plugin in AdmissionPlugins) plugin.Admit(attrs);
                if (attrs.Mutated) def.Defaulter?.Invoke(attrs.Object);
                candidate = attrs.Object;
            }
            ThrowIfInvalid(def, candidate, null);
            try
            {
                return _store.Create(def, candidate, dryRun);
            }
            catch (ApiException e) when (generated && e.Reason == "AlreadyExists" && attempt < 7)
            {
            }
        }
    }

    async Task<JsonNode> ReadBodyAsync(HttpContext ctx, string[] accepted)
    {
        var ct = ctx.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant() ?? "application/json";
        if (ct is "application/json" or "") return await BodyDecoder.ReadJsonAsync(ctx.Request);
        if (ct is "application/yaml") return await BodyDecoder.ReadYamlAsync(ctx.Request);
        throw ApiException.UnsupportedMediaType(string.Join(", ", accepted));
    }

    /// <summary>The update strategy: preconditions, immutable metadata, status/spec split, defaulting, validation.</summary>
    IKubernetesObject<V1ObjectMeta> PrepareUpdate(ResourceDefinition def, StoredObject current, IKubernetesObject<V1ObjectMeta> incoming,
        string? subresource, bool checkResourceVersion)
    {
        var name = current.Name;
        var nm = incoming.Metadata;
        if (checkResourceVersion && !string.IsNullOrEmpty(nm.ResourceVersion) && nm.ResourceVersion != current.Object.Metadata.ResourceVersion)
            throw ApiException.Conflict(def.Plural, def.Group, name, ApiException.ModifiedMessage);
        if (!string.IsNullOrEmpty(nm.Uid) && nm.Uid != current.Object.Metadata.Uid)
            throw ApiException.Conflict(def.Plural, def.Group, name,
                $"Precondition failed: UID in precondition: {nm.Uid}, UID in object meta: {current.Object.Metadata.Uid}");
        var old = current.Object;
        IKubernetesObject<V1ObjectMeta> result;
        if (subresource == "status")
        {
            result = def.Clone(old);
            def.SetStatus(result, def.GetStatus(incoming));
        }
        else
        {
            result = incoming;
            var m = result.Metadata;
            m.Uid = old.Metadata.Uid;
            m.CreationTimestamp = old.Metadata.CreationTimestamp;
            m.DeletionTimestamp = old.Metadata.DeletionTimestamp;
            m.DeletionGracePeriodSeconds = old.Metadata.DeletionGracePeriodSeconds;
            m.Generation = old.Metadata.Generation;
            m.NamespaceProperty = old.Metadata.NamespaceProperty;
            m.GenerateName ??= old.Metadata.GenerateName;
            if (def.HasStatus) def.SetStatus(result, def.GetStatus(def.Clone(old)));
        }
        def.Defaulter?.Invoke(result);
        ThrowIfInvalid(def, result, old);
        if (def.TracksGeneration && subresource is null &&
            KubernetesJson.Serialize(def.GetSpec(result)) != KubernetesJson.Serialize(def.GetSpec(old)))
            result.Metadata.Generation = (old.Metadata.Generation ?? 0) + 1;
        return result;
    }

    async Task UpdateAsync(HttpContext ctx, RequestTarget t)
    {
        var validation = BodyDecoder.ParseFieldValidation(ctx.Request.Query["fieldValidation"]);
        var node = await ReadBodyAsync(ctx, ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]);
        var warnings = new List<string>();
        var obj = BodyDecoder.ToObject(t.Def, node, validation, warnings);
        if (!string.IsNullOrEmpty(obj.Metadata.Name) && obj.Metadata.Name != t.Name)
            throw ApiException.BadRequest($"the name of the object ({obj.Metadata.Name}) does not match the name on the URL ({t.Name})");
        if (t.Def.Namespaced && !string.IsNullOrEmpty(obj.Metadata.NamespaceProperty) && obj.Metadata.NamespaceProperty != t.Namespace)
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        obj.Metadata.Name = t.Name;
        var (result, _) = _store.Update(t.Def, t.Namespace ?? "", t.Name!, cur => PrepareUpdate(t.Def, cur, obj, t.Subresource, true),
            dryRun: DryRun(ctx.Request));
        AddWarnings(ctx, warnings);
        await WriteObjectAsync(ctx, 200, result);
    }

    const string PatchTypes = "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json";

    async Task PatchAsync(HttpContext ctx, RequestTarget t)
    {
        var ct = ctx.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (ct is not ("application/json-patch+json" or "application/merge-patch+json" or "application/strategic-merge-patch+json"))
            throw ApiException.UnsupportedMediaType(PatchTypes);
        var validation = BodyDecoder.ParseFieldValidation(ctx.Request.Query["fieldValidation"]);
        var patch = await BodyDecoder.ReadJsonAsync(ctx.Request);
        var warnings = new List<string>();
        var dryRun = DryRun(ctx.Request);
        var (result, _) = _store.Update(t.Def, t.Namespace ?? "", t.Name!, cur =>
        {
            warnings.Clear();
            var original = JsonNode.Parse(cur.Json)!;
            var patched = ct switch
            {
                "application/json-patch+json" => JsonPatch.Apply(original, patch),
                "application/merge-patch+json" => MergePatch.Apply(original, patch)!,
                _ => StrategicMergePatch.Apply(original, patch, t.Def.PatchSchema),
            };
            var obj = BodyDecoder.ToObject(t.Def, patched, validation, warnings);
            if (obj.Metadata.Name != cur.Name)
                throw ApiException.BadRequest($"the name of the object ({obj.Metadata.Name}) does not match the name on the URL ({cur.Name})");
            return PrepareUpdate(t.Def, cur, obj, t.Subresource, true);
        }, dryRun: dryRun);
        AddWarnings(ctx, warnings);
        await WriteObjectAsync(ctx, 200, result);
    }

    // ---- deletes ----

    sealed record DeleteOptions(string? Uid, string? ResourceVersion, string? PropagationPolicy, long? GracePeriodSeconds = null);

    static async Task<DeleteOptions> ReadDeleteOptionsAsync(HttpContext ctx)
    {
        var q = ctx.Request.Query;
        string? uid = null, rv = null, propagation = q["propagationPolicy"];
        long? grace = long.TryParse(q["gracePeriodSeconds"], out var gq) ? gq : null;
        if (ctx.Request.ContentLength is > 0 || ctx.Request.Headers.TransferEncoding.Count > 0)
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted);
            if (ms.Length > 0)
            {
                JsonNode? n;
                try { n = JsonNode.Parse(ms.ToArray()); }
                catch (JsonException e) { throw ApiException.BadRequest($"the object provided is unrecognized: {e.Message}"); }
                uid = n?["preconditions"]?["uid"]?.GetValue<string>();
                rv = n?["preconditions"]?["resourceVersion"]?.GetValue<string>();
                propagation = n?["propagationPolicy"]?.GetValue<string>() ?? propagation;
                if (n?["gracePeriodSeconds"] is { } g) grace = g.GetValue<long>();
                if (propagation is null && n?["orphanDependents"] is { } od) propagation = od.GetValue<bool>() ? "Orphan" : "Background";
            }
        }
        if (propagation is not (null or "Orphan" or "Background" or "Foreground"))
            throw ApiException.Invalid("DeleteOptions", "", "", [new StatusCause("FieldValueNotSupported",
                $"Unsupported value: \"{propagation}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"", "propagationPolicy")]);
        return new DeleteOptions(uid, rv, propagation, grace);
    }

    static void CheckPreconditions(StoredObject cur, DeleteOptions opts)
    {
        if (opts.Uid is not null && opts.Uid != cur.Object.Metadata.Uid)
            throw ApiException.Conflict(cur.Def.Plural, cur.Def.Group, cur.Name,
                $"Precondition failed: UID in precondition: {opts.Uid}, UID in object meta: {cur.Object.Metadata.Uid}");
        if (opts.ResourceVersion is not null && opts.ResourceVersion != cur.Object.Metadata.ResourceVersion)
            throw ApiException.Conflict(cur.Def.Plural, cur.Def.Group, cur.Name,
                $"Precondition failed: ResourceVersion in precondition: {opts.ResourceVersion}, ResourceVersion in object meta: {cur.Object.Metadata.ResourceVersion}");
    }

    async Task DeleteAsync(HttpContext ctx, RequestTarget t)
    {
        if (t.Subresource is not null) throw ApiException.MethodNotAllowed();
        var opts = await ReadDeleteOptionsAsync(ctx);
        if (DryRun(ctx.Request))
        {
            var cur = _store.Get(t.Def, t.Namespace ?? "", t.Name!) ?? throw ApiException.NotFound(t.Def.Plural, t.Def.Group, t.Name!);
            CheckPreconditions(cur, opts);
            await ResponseWriter.WriteBytesAsync(ctx, 200, t.Def.ReturnDeletedObject ? cur.Json : ResponseWriter.SuccessStatus(cur));
            return;
        }
        var (code, body) = DeleteObject(t.Def, t.Namespace ?? "", t.Name!, opts);
        await ResponseWriter.WriteBytesAsync(ctx, code, body);
    }

    /// <summary>The delete path shared by the REST layer and in-process deleters (namespace controller, taint eviction):
    /// finalizers honoured (and graceful deletion, where the kind has it), as a client's DELETE.</summary>
    public void DeleteObject(ResourceDefinition def, string ns, string name) => DeleteObject(def, ns, name, new DeleteOptions(null, null, null));

    (int Code, byte[] Body) DeleteObject(ResourceDefinition def, string ns, string name, DeleteOptions opts)
    {
        var ctxNamespaces = _store.NamespacesDefinition;
        if (ReferenceEquals(def, ctxNamespaces))
            return (200, DeleteNamespace(name, opts).Json);
        var current = _store.Get(def, ns, name) ?? throw ApiException.NotFound(def.Plural, def.Group, name);
        if (WorkloadDeletion.Prepare(_store, _clock, def, current, opts.PropagationPolicy, opts.GracePeriodSeconds, () => CheckPreconditions(_store.Get(def, ns, name)!, opts)) is { } pending)
            return (200, pending.Json); // not deleted yet: the real store answers the object as marked
        current = _store.Get(def, ns, name) ?? throw ApiException.NotFound(def.Plural, def.Group, name);
        if (current.Object.Metadata.Finalizers is { Count: > 0 })
        {
            // finalizers present: mark for deletion and keep the object until they are removed
            var (marked, _) = _store.Update(def, ns, name, cur =>
            {
                CheckPreconditions(cur, opts);
                var copy = def.Clone(cur.Object);
                copy.Metadata.DeletionTimestamp ??= _clock.UtcNowSeconds;
                copy.Metadata.DeletionGracePeriodSeconds ??= 0;
                return copy;
            });
            return (200, marked.Json);
        }
        var deleted = _store.Delete(def, ns, name, cur => CheckPreconditions(cur, opts));
        return (200, def.ReturnDeletedObject ? deleted.Json : ResponseWriter.SuccessStatus(deleted));
    }

    /// <summary>DELETE as a client (controllers) would send it: graceful for pods, with a propagation policy.</summary>
    public void DeleteObjectGraceful(ResourceDefinition def, string ns, string name, long? gracePeriodSeconds, string? propagationPolicy = null) =>
        DeleteObject(def, ns, name, new DeleteOptions(null, null, propagationPolicy, gracePeriodSeconds));

    StoredObject DeleteNamespace(string name, DeleteOptions opts)
    {
        var def = _store.NamespacesDefinition!;
        if (NamespaceResource.Protected.Contains(name))
            throw ApiException.Forbidden("namespaces", "", name, "this namespace may not be deleted");
        var (terminating, _) = _store.Update(def, "", name, cur =>
        {
            CheckPreconditions(cur, opts);
            var copy = (V1Namespace)def.Clone(cur.Object);
            copy.Metadata.DeletionTimestamp ??= _clock.UtcNowSeconds;
            copy.Status ??= new V1NamespaceStatus();
            copy.Status.Phase = "Terminating";
            return copy;
        }, removeWhenFinalized: false);
        // the namespace controller (Controllers/NamespaceController) deletes the content, then the namespace
        return terminating;
    }

    async Task DeleteCollectionAsync(HttpContext ctx, RequestTarget t)
    {
        var opts = await ReadDeleteOptionsAsync(ctx);
        var (labels, fields) = Selectors(ctx.Request, t.Def);
        var (all, _) = _store.List(t.Def, t.Namespace);
        var deleted = new List<StoredObject>();
        foreach (var o in all)
        {
            if (!labels.Matches(o.Object.Metadata.Labels) || !fields.Matches(o.Object, t.Def)) continue;
            try
            {
                DeleteObject(t.Def, o.Namespace, o.Name, opts with { Uid = null, ResourceVersion = null });
                deleted.Add(o);
            }
            catch (ApiException e) when (e.Code == 404) { }
        }
        await ResponseWriter.WriteListAsync(ctx, t.Def, deleted, new ResponseWriter.ListMeta(_store.CurrentResourceVersion, null, null));
    }
}
