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

    public static RequestInfo Resolve(HttpRequest req) => Resolve(req.Method, req.Path.Value ?? "/", req.Query["watch"].ToString());

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
