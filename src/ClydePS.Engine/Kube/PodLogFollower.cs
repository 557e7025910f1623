using k8s;

namespace ClydePS.Engine.Kube;

/// <summary>
/// Follows one container's log (<c>follow=true</c>) and survives dropped streams: when the stream drops or ends, the caller
/// decides whether to open it again, and a reopened log, which starts from the beginning, skips the lines already seen. One
/// request per opening, so the API cost is constant per pod. Used by the in-cluster probe and the snapshot agent.
/// </summary>
public static class PodLogFollower
{
    /// <summary>
    /// Reads lines until <paramref name="onLine"/> returns false, or the stream ends and <paramref name="reopen"/> says not to
    /// open it again (its argument: true when the stream dropped with an I/O error rather than ending), or
    /// <paramref name="maxOpens"/> openings were made. Returns the number of lines seen.
    /// </summary>
    /// <param name="role">The pod's role (probe, agent, ...), for messages.</param>
    public static async Task<int> FollowAsync(ClusterGateway gateway, string role, string ns, string pod, string container, bool timestamps,
        Func<string, bool> onLine, Func<bool, CancellationToken, Task<bool>> reopen, int maxOpens, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(onLine);
        ArgumentNullException.ThrowIfNull(reopen);
        var seen = 0;
        for (var attempt = 0; attempt < maxOpens; attempt++)
        {
            var stream = await gateway.CallAsync($"follow the log of {role} pod", $"{ns}/{pod}",
                (c, t) => c.CoreV1.ReadNamespacedPodLogAsync(pod, ns, container: container, follow: true, timestamps: timestamps, cancellationToken: t),
                ct).ConfigureAwait(false);
            var dropped = false;
            using (var reader = new StreamReader(stream))
            {
                var index = 0;
                try
                {
                    while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
                    {
                        if (index++ < seen)
                        {
                            continue; // a reopened log starts from the beginning
                        }

                        seen++;
                        if (!onLine(line))
                        {
                            return seen;
                        }
                    }
                }
                catch (IOException)
                {
                    dropped = true;
                }
            }

            if (!await reopen(dropped, ct).ConfigureAwait(false))
            {
                break;
            }
        }

        return seen;
    }
}
