using k8s;
using k8s.Autorest;

namespace ClydePS.Engine.Kube;

/// <summary>
/// The paging and watch arguments the gateway fills in for one list or watch call; pass them straight to a generated
/// <c>List...WithHttpMessagesAsync</c> method (continueParameter, limit, watch, resourceVersion, allowWatchBookmarks,
/// timeoutSeconds).
/// </summary>
public sealed record ListRequest(
    string? Continue = null,
    int? Limit = null,
    bool? Watch = null,
    string? ResourceVersion = null,
    bool? AllowWatchBookmarks = null,
    int? TimeoutSeconds = null);

/// <summary>
/// One list call of a resource, e.g.
/// <c>(c, r, ct) =&gt; c.CoreV1.ListNodeWithHttpMessagesAsync(labelSelector: sel, continueParameter: r.Continue, limit: r.Limit,
/// watch: r.Watch, resourceVersion: r.ResourceVersion, allowWatchBookmarks: r.AllowWatchBookmarks, timeoutSeconds: r.TimeoutSeconds, cancellationToken: ct)</c>.
/// </summary>
public delegate Task<HttpOperationResponse<TList>> ListCall<TList>(IKubernetes client, ListRequest request, CancellationToken cancellationToken);
