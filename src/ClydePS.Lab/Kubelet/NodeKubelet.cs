namespace ClydePS.Lab.Kubelet;

/// <summary>
/// Whether one node's simulated kubelet runs. A <see cref="Faults.NodeFault"/> stops it when the node's heartbeats
/// stop (the node lifecycle loop calls <see cref="KubeletManager.SetRunning"/>); while stopped no container starts,
/// no pod status or event is written, graceful deletions on the node stay Terminating and image pulls pause (the
/// in-flight pull is cancelled, layers already on the node stay, and the pull picks up again on restart). A deleted
/// node's kubelet stops for good.
/// </summary>
public sealed class NodeKubelet
{
    readonly object _gate = new();
    TaskCompletionSource _up = Completed();
    CancellationTokenSource _down = new();

    public NodeKubelet(string node) => Node = node;

    public string Node { get; }
    public bool Running { get; private set; } = true;
    public bool Deleted { get; private set; }

    static TaskCompletionSource Completed()
    {
        var t = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        t.SetResult();
        return t;
    }

    /// <summary>Cancelled when the kubelet stops (a fresh token after each restart).</summary>
    public CancellationToken DownToken { get { lock (_gate) return _down.Token; } }

    /// <summary>Completes when the kubelet runs (at once when it does).</summary>
    public Task WaitRunningAsync(CancellationToken ct)
    {
        Task t;
        lock (_gate) t = _up.Task;
        return t.IsCompleted ? t : t.WaitAsync(ct);
    }

    /// <summary>Stops the kubelet; true when it was running.</summary>
    internal bool Stop()
    {
        CancellationTokenSource down;
        lock (_gate)
        {
            if (!Running) return false;
            Running = false;
            _up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            down = _down;
        }
        down.Cancel();
        return true;
    }

    /// <summary>Starts it again; true when it was stopped (never after <see cref="Delete"/>).</summary>
    internal bool Start()
    {
        TaskCompletionSource up;
        lock (_gate)
        {
            if (Running || Deleted) return false;
            Running = true;
            _down = new CancellationTokenSource();
            up = _up;
        }
        up.TrySetResult();
        return true;
    }

    internal void Delete()
    {
        lock (_gate) Deleted = true;
        Stop();
    }
}
