namespace ClydePS.Lab.Kubelet;

/// <summary>One container run's log: Lab-time stamped lines; readers can follow until the run ends.</summary>
public sealed class ContainerLog
{
    readonly List<(DateTime Time, string Line)> _lines = [];
    TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public bool Ended { get; private set; }

    public void Append(DateTime time, string line)
    {
        TaskCompletionSource t;
        lock (_lines)
        {
            _lines.Add((time, line));
            t = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        t.TrySetResult();
    }

    public void End()
    {
        TaskCompletionSource t;
        lock (_lines)
        {
            Ended = true;
            t = _changed;
        }
        t.TrySetResult();
    }

    /// <summary>Lines from index, and a task completing at the next change.</summary>
    public (List<(DateTime Time, string Line)> Lines, bool Ended, Task Changed) Read(int from)
    {
        lock (_lines) return (_lines.Skip(from).ToList(), Ended, _changed.Task);
    }
}
