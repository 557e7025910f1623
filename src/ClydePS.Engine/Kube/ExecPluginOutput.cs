using System.Diagnostics;
using k8s;

namespace ClydePS.Engine.Kube;

/// <summary>
/// Collects what a credential plugin writes to stderr while a kubeconfig is built, so a failure can say what the
/// plugin said ("please run az login") instead of a JSON parse error. The client raises one static event for every
/// plugin run; an AsyncLocal routes each line to the connect that started it.
/// </summary>
internal static class ExecPluginOutput
{
    private static readonly AsyncLocal<List<string>?> Lines = new();

    static ExecPluginOutput() => KubernetesClientConfiguration.ExecStdError += OnStdError;

    /// <summary>Lines captured in this async flow, or null outside <see cref="Capture"/>.</summary>
    public static IReadOnlyList<string>? Current
    {
        get
        {
            var lines = Lines.Value;
            if (lines is null)
            {
                return null;
            }
            lock (lines)
            {
                return lines.ToList();
            }
        }
    }

    /// <summary>Starts capturing for the current async flow; dispose to stop.</summary>
    public static IDisposable Capture()
    {
        Lines.Value = [];
        return new Stop();
    }

    private static void OnStdError(object? sender, DataReceivedEventArgs e)
    {
        var lines = Lines.Value;
        if (lines is null || string.IsNullOrWhiteSpace(e.Data))
        {
            return;
        }
        lock (lines)
        {
            if (lines.Count < 20)
            {
                lines.Add(e.Data.Trim());
            }
        }
    }

    private sealed class Stop : IDisposable
    {
        public void Dispose() => Lines.Value = null;
    }
}
