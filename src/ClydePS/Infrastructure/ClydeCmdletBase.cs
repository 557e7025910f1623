using System.Collections.Concurrent;
using System.Management.Automation;

namespace ClydePS.Infrastructure;

/// <summary>
/// The base of every ClydePS cmdlet: cancellation by Ctrl+C (StopProcessing), async engine work whose
/// messages reach the pipeline thread through a queue (the only thread that may call Write*), and the one
/// mapping from <see cref="ClydeException"/> to ErrorRecord.
/// </summary>
public abstract class ClydeCmdletBase : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource stopping = new();
    private BlockingCollection<Action>? pipelineQueue;
    private bool disposed;

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline stops.</summary>
    protected CancellationToken Stopping => stopping.Token;

    protected override void StopProcessing() => stopping.Cancel();

    /// <summary>
    /// Runs engine work on the thread pool while this (pipeline) thread executes what the work posts
    /// with <see cref="Post"/>. Returns when the work is done; rethrows its failure.
    /// </summary>
    protected T Run<T>(Func<CancellationToken, Task<T>> work)
    {
        using var queue = new BlockingCollection<Action>();
        BlockingCollection<Action>? outer = pipelineQueue;
        pipelineQueue = queue;
        try
        {
            Task<T> task = Task.Run(() => work(Stopping), Stopping);
            task.ContinueWith(_ => queue.CompleteAdding(), TaskScheduler.Default);
            foreach (Action action in queue.GetConsumingEnumerable())
            {
                try
                {
                    action();
                }
                catch (PipelineStoppedException) when (Stopping.IsCancellationRequested)
                {
                    // Write* throws once the pipeline stops; keep waiting, so the work's cleanup ends before the cmdlet does.
                }
            }

            try
            {
                return task.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (Stopping.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
        }
        finally
        {
            pipelineQueue = outer;
        }
    }

    protected void Run(Func<CancellationToken, Task> work) =>
        Run<bool>(async ct =>
        {
            await work(ct).ConfigureAwait(false);
            return true;
        });

    /// <summary>Queues an action (WriteWarning, WriteProgress, ...) for the pipeline thread. Safe from any thread.</summary>
    protected void Post(Action action)
    {
        BlockingCollection<Action>? queue = pipelineQueue;
        if (queue == null)
        {
            action();
            return;
        }

        try
        {
            queue.Add(action);
        }
        catch (InvalidOperationException)
        {
            // The work finished and the queue closed: the message has no reader left.
        }
    }

    /// <summary>Runs a cmdlet body, turning engine failures into terminating ErrorRecords.</summary>
    protected void Guard(Action body)
    {
        try
        {
            body();
        }
        catch (ClydeException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
        catch (OperationCanceledException) when (Stopping.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    /// <summary>Rejects a zero or negative -Timeout (ClydeInvalidTimeout) before anything is created.</summary>
    protected static void RequirePositiveTimeout(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeInvalidTimeout",
                $"-Timeout ({timeout}) must be positive: give a duration such as 90s, 5m or 1h.", timeout);
        }
    }

    /// <summary>Reports a per-item failure without stopping the cmdlet.</summary>
    protected void WriteClydeError(ClydeException ex) => WriteError(ErrorRecords.From(ex));

    protected string ResolvePath(string path) => GetUnresolvedProviderPathFromPSPath(path);

    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            OnDispose();
            stopping.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    protected virtual void OnDispose()
    {
    }
}
