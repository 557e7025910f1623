using System.Text.Json;
using System.Text.Json.Nodes;
using ClydePS.Lab.Api;
using ClydePS.Lab.Auth;
using ClydePS.Lab.Resources.Core;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Rbac;

/// <summary>
/// The request filters after authentication: impersonation (<c>Impersonate-User</c>/<c>Impersonate-Group</c>,
/// allowed for the admin and for users RBAC lets <c>impersonate</c> users/groups), authorisation by RBAC when
/// <see cref="LabOptions.EnforceRbac"/> is on (every user but the Lab admin: system:masters, or the anonymous
/// user of an --anonymous Lab), and the non-stored APIs: SelfSubjectAccessReview (always answered from RBAC),
/// the serviceaccounts/token TokenRequest subresource, and <c>POST /clydelab/v1/tokens {user, groups}</c>.
/// </summary>
public sealed class AuthorizationMiddleware
{
    readonly LabHost _lab;
    public RbacAuthorizer Authorizer { get; }

    AuthorizationMiddleware(LabHost lab)
    {
        _lab = lab;
        Authorizer = new RbacAuthorizer(lab.Store);
    }

    public static void Use(WebApplication app, LabHost lab)
    {
        var m = new AuthorizationMiddleware(lab);
        app.Use(async (ctx, next) =>
        {
            try
            {
                if (await m.HandleAsync(ctx)) return;
            }
            catch (ApiException e)
            {
                if (!ctx.Response.HasStarted) await ResponseWriter.WriteErrorAsync(ctx, e);
                return;
            }
            await next(ctx);
        });
    }

    bool Exempt(LabUser u) => RbacAuthorizer.IsMaster(u) || (_lab.Options.AllowAnonymous && u.Name == "system:anonymous");

    bool Allowed(LabUser u, RequestInfo a) => Exempt(u) || Authorizer.Authorize(u, a).Allowed;

    async Task<bool> HandleAsync(HttpContext ctx)
    {
        if (ctx.Items["lab.user"] is not LabUser user) return false;
        var req = ctx.Request;
        var impUser = req.Headers["Impersonate-User"].ToString();
        var impGroups = req.Headers["Impersonate-Group"].SelectMany(g => (g ?? "").Split(',')).Select(g => g.Trim()).Where(g => g.Length > 0).ToList();
        if (impUser.Length > 0 || impGroups.Count > 0)
        {
            if (impUser.Length == 0)
                throw new ApiException(500, "InternalError", "Internal error occurred: requested [" + string.Join(" ", impGroups.Select(g => "{Group  " + g + "  }")) + "] without impersonating a user");
            var saPrefix = "system:serviceaccount:";
            var check = impUser.StartsWith(saPrefix) && impUser[saPrefix.Length..].Split(':') is [var sns, var sname]
                ? new RequestInfo(true, "", "impersonate", "", "", sns, "serviceaccounts", "", sname)
                : new RequestInfo(true, "", "impersonate", "", "", "", "users", "", impUser);
            if (!Allowed(user, check)) throw RbacAuthorizer.Forbidden(user, check);
            foreach (var g in impGroups)
            {
                var gcheck = new RequestInfo(true, "", "impersonate", "", "", "", "groups", "", g);
                if (!Allowed(user, gcheck)) throw RbacAuthorizer.Forbidden(user, gcheck);
            }
            var groups = new List<string>(impGroups);
            if (impUser.StartsWith(saPrefix) && impUser[saPrefix.Length..].Split(':') is [var ns2, _] && impGroups.Count == 0)
                groups = TokenUsers.ServiceAccountUser(ns2, "x").Groups.ToList();
            if (!groups.Contains("system:authenticated") && impUser != "system:anonymous") groups.Add("system:authenticated");
            user = new LabUser(impUser, groups);
            ctx.Items["lab.user"] = user;
        }

        var info = RequestInfo.Resolve(req);
        if (_lab.Options.EnforceRbac && !Exempt(user))
        {
            var decision = Authorizer.Authorize(user, info);
            if (!decision.Allowed) throw RbacAuthorizer.Forbidden(user, info);
        }

        var path = req.Path.Value ?? "";
        if (path == ControlEndpoints.Prefix + "/tokens")
        {
            if (req.Method != "POST") throw ApiException.MethodNotAllowed();
            await IssueTokenAsync(ctx);
            return true;
        }
        if (info.IsResourceRequest && info.ApiGroup == "authorization.k8s.io" && info.Resource == "selfsubjectaccessreviews")
        {
            if (info.Verb != "create" || info.Name.Length > 0) throw ApiException.MethodNotAllowed();
            _lab.Stats.Count("create", "selfsubjectaccessreviews");
            await SelfSubjectAccessReviewAsync(ctx, user);
            return true;
        }
        if (info.IsResourceRequest && info.ApiGroup == "" && info.Resource == "serviceaccounts" && info.Subresource == "token" && info.Namespace.Length > 0)
        {
            if (info.Verb != "create") throw ApiException.MethodNotAllowed();
            _lab.Stats.Count("create", "serviceaccounts/token");
            await TokenRequestAsync(ctx, info);
            return true;
        }
        return false;
    }

    static async Task<JsonObject> ReadObjectAsync(HttpContext ctx, bool optional = false)
    {
        using var ms = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted);
        if (ms.Length == 0)
        {
            if (optional) return new JsonObject();
            throw ApiException.BadRequest("the body of the request was empty");
        }
        if (ProtobufReview.IsEnvelope(ms.GetBuffer().AsSpan(0, (int)ms.Length)))
        {
            try
            {
                return ctx.Request.Path.Value?.EndsWith("/token") == true
                    ? ProtobufReview.DecodeTokenRequest(ms.ToArray())
                    : ProtobufReview.DecodeSelfSubjectAccessReview(ms.ToArray());
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException or ArgumentException)
            {
                throw ApiException.BadRequest($"the object provided is unrecognized: {e.Message}");
            }
        }
        try { return JsonNode.Parse(ms.ToArray()) as JsonObject ?? throw ApiException.BadRequest("the object provided is unrecognized (must be a JSON object)"); }
        catch (JsonException e) { throw ApiException.BadRequest($"the object provided is unrecognized: {e.Message}"); }
    }

    async Task IssueTokenAsync(HttpContext ctx)
    {
        var body = await ReadObjectAsync(ctx);
        var name = (string?)body["user"];
        if (string.IsNullOrEmpty(name)) throw ApiException.BadRequest("user is required");
        var groups = (body["groups"] as JsonArray)?.Select(g => (string)g!).ToList() ?? [];
        var token = _lab.Tokens.Issue(name, groups);
        var result = new JsonObject
        {
            ["token"] = token, ["user"] = name,
            ["groups"] = new JsonArray(_lab.Tokens.Find(token)!.Groups.Select(g => (JsonNode)JsonValue.Create(g)!).ToArray()),
        };
        await ResponseWriter.WriteBytesAsync(ctx, 201, System.Text.Encoding.UTF8.GetBytes(result.ToJsonString()));
    }

    /// <summary>The answer for one user and attributes (for SelfSubjectAccessReview and tests).</summary>
    public Decision Review(LabUser user, RequestInfo a) => RbacAuthorizer.IsMaster(user) ? new Decision(true, "") : Authorizer.Authorize(user, a);

    async Task SelfSubjectAccessReviewAsync(HttpContext ctx, LabUser user)
    {
        var body = await ReadObjectAsync(ctx);
        var spec = body["spec"] as JsonObject ?? new JsonObject();
        RequestInfo attrs;
        if (spec["resourceAttributes"] is JsonObject ra)
        {
            attrs = new RequestInfo(true, "", (string?)ra["verb"] ?? "", (string?)ra["group"] ?? "", (string?)ra["version"] ?? "",
                (string?)ra["namespace"] ?? "", (string?)ra["resource"] ?? "", (string?)ra["subresource"] ?? "", (string?)ra["name"] ?? "");
        }
        else if (spec["nonResourceAttributes"] is JsonObject nra)
        {
            attrs = new RequestInfo(false, (string?)nra["path"] ?? "", (string?)nra["verb"] ?? "", "", "", "", "", "", "");
        }
        else
        {
            throw ApiException.Invalid("SelfSubjectAccessReview", "authorization.k8s.io", "",
                [new StatusCause("FieldValueRequired", "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified", "spec.resourceAttributes")]);
        }
        var decision = Review(user, attrs);
        var status = new JsonObject { ["allowed"] = decision.Allowed };
        if (decision.Reason.Length > 0) status["reason"] = decision.Reason;
        var result = new JsonObject
        {
            ["kind"] = "SelfSubjectAccessReview",
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = spec.DeepClone(),
            ["status"] = status,
        };
        await ResponseWriter.WriteBytesAsync(ctx, 201, System.Text.Encoding.UTF8.GetBytes(result.ToJsonString()));
    }

    async Task TokenRequestAsync(HttpContext ctx, RequestInfo info)
    {
        var saDef = _lab.Registry.ServiceAccounts();
        var sa = _lab.Store.Get(saDef, info.Namespace, info.Name) ?? throw ApiException.NotFound("serviceaccounts", "", info.Name);
        var body = await ReadObjectAsync(ctx, optional: true);
        var spec = body["spec"] as JsonObject ?? new JsonObject();
        var expiration = spec["expirationSeconds"]?.GetValue<long>() ?? 3600;
        if (expiration < 600)
            throw ApiException.Invalid("TokenRequest", "authentication.k8s.io", info.Name,
                [new StatusCause("FieldValueInvalid", $"Invalid value: {expiration}: may not specify a duration less than 10 minutes", "spec.expirationSeconds")]);
        if (expiration > 1L << 32)
            throw ApiException.Invalid("TokenRequest", "authentication.k8s.io", info.Name,
                [new StatusCause("FieldValueTooLong", "Too long: may not specify a duration larger than 2^32 seconds", "spec.expirationSeconds")]);
        var audiences = (spec["audiences"] as JsonArray)?.Select(a => (string)a!).ToList() is { Count: > 0 } aud ? aud : ["https://kubernetes.default.svc.cluster.local"];
        var uid = sa.Object.Metadata.Uid;
        var (ns, name) = (info.Namespace, info.Name);
        var now = _lab.Clock.UtcNowSeconds;
        var expires = now.AddSeconds(expiration);
        var token = _lab.Tokens.IssueServiceAccount(ns, name, uid, audiences, expires,
            () => _lab.Store.Get(saDef, ns, name)?.Object.Metadata.Uid == uid);
        var result = new JsonObject
        {
            ["kind"] = "TokenRequest",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["creationTimestamp"] = now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") },
            ["spec"] = new JsonObject
            {
                ["audiences"] = new JsonArray(audiences.Select(a => (JsonNode)JsonValue.Create(a)!).ToArray()),
                ["expirationSeconds"] = expiration,
                ["boundObjectRef"] = spec["boundObjectRef"]?.DeepClone(),
            },
            ["status"] = new JsonObject { ["token"] = token, ["expirationTimestamp"] = expires.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") },
        };
        await ResponseWriter.WriteBytesAsync(ctx, 201, System.Text.Encoding.UTF8.GetBytes(result.ToJsonString()));
    }
}
