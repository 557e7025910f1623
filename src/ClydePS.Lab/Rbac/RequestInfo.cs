namespace ClydePS.Lab.Rbac;

/// <summary>
/// What a request asks for, resolved from its path as the real server's RequestInfoFactory does: a
/// resource request (verb, API group, version, namespace, resource, subresource, name) or a non-resource
/// URL (e.g. /healthz, /version) with verb get/post/put/patch/delete.
/// </summary>
public sealed record RequestInfo(bool IsResourceRequest, string Path, string Verb, string ApiGroup, string ApiVersion,
    string Namespace, string Resource, string Subresource, string Name)
{
    public string ResourceWithSubresource => Subresource.Length == 0 ? Resource : Resource + "/" + Subresource;

    public static RequestInfo Resolve(HttpRequest req)
    {
        var info = Resolve(req.Method, req.Path.Value ?? "/", req.Query["watch"].ToString());
        // a list or watch of one object by fieldSelector=metadata.name=x is authorised as on that name
        if (info.IsResourceRequest && info.Name.Length == 0 && info.Verb is "list" or "watch" && req.Query["fieldSelector"].ToString() is { Length: > 0 } fs)
        {
            foreach (var term in fs.Split(','))
            {
                var t = term.Trim();
                var eq = t.StartsWith("metadata.name==") ? "metadata.name==".Length : t.StartsWith("metadata.name=") ? "metadata.name=".Length : -1;
                if (eq > 0) return info with { Name = t[eq..] };
            }
        }
        return info;
    }

    public static RequestInfo Resolve(string method, string path, string watchParam = "")
    {
        var nonResource = new RequestInfo(false, path, method.ToLowerInvariant(), "", "", "", "", "", "");
        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        string group, version;
        int i;
        if (parts.Length >= 2 && parts[0] == "api") { group = ""; version = parts[1]; i = 2; }
        else if (parts.Length >= 3 && parts[0] == "apis") { group = parts[1]; version = parts[2]; i = 3; }
        else return nonResource;
        var rest = parts[i..];
        if (rest.Length == 0) return nonResource;
        var verb = "";
        if (rest[0] == "watch") { verb = "watch"; rest = rest[1..]; if (rest.Length == 0) return nonResource; }
        var ns = "";
        if (rest[0] == "namespaces" && rest.Length > 1)
        {
            ns = rest[1];
            if (rest.Length > 2 && rest[2] is not ("status" or "finalize")) rest = rest[2..];
        }
        var resource = rest[0];
        var name = rest.Length > 1 ? rest[1] : "";
        var sub = rest.Length > 2 ? rest[2] : "";
        if (verb.Length == 0)
        {
            verb = method switch
            {
                "POST" => "create",
                "GET" or "HEAD" => name.Length > 0 ? "get" : (watchParam is "true" or "1" ? "watch" : "list"),
                "PUT" => "update",
                "PATCH" => "patch",
                "DELETE" => name.Length > 0 ? "delete" : "deletecollection",
                _ => "",
            };
        }
        return new RequestInfo(true, path, verb, group, version, ns, resource, sub, name);
    }
}
