using System.Threading.Channels;
using ClydePS.Lab.Resources;
using ClydePS.Lab.Resources.Core;
using ClydePS.Lab.Store;
using Microsoft.Extensions.Logging;

namespace ClydePS.Lab.Controllers;

/// <summary>
/// A controller run by <see cref="PlatformControllers"/>: it sees every store event (from one shared
/// subscription, on one loop) and resynchronises everything after a start or a dropped subscription.
/// </summary>
public interface IStoreController
{
    void Resync();
    void OnEvent(StoreEvent e);
    /// <summary>Called after a batch of events has been handed out (for batched work).</summary>
    void Flush() { }
}

/// <summary>
/// Runs the platform controllers (service accounts and root CA, endpoints, load balancers, namespace
/// deletion, node lifecycle) as one background loop over one store subscription, so their cost does not
/// grow with threads. Writes go through <see cref="LabHost.Rest"/> and the store like any client's.
/// </summary>
public sealed class PlatformControllers : IAsyncDisposable
{
    readonly LabHost _lab;
    readonly CancellationTokenSource _stop = new();
    readonly List<IStoreController> _controllers = [];
    readonly List<IAsyncDisposable> _services = [];
    Task? _loop;

    public PlatformControllers(LabHost lab) => _lab = lab;

    public IReadOnlyList<IStoreController> Controllers => _controllers;

    public void Add(IStoreController c) => _controllers.Add(c);
    public void AddService(IAsyncDisposable s) => _services.Add(s);

    public T Get<T>() where T : class => _controllers.OfType<T>().FirstOrDefault() ?? _services.OfType<T>().First();

    public void Start()
    {
        var sub = _lab.Store.Subscribe(capacity: 1_000_000);
        foreach (var c in _controllers) Safe(c.Resync);
        _loop = Task.Run(() => RunAsync(sub));
    }

    void Safe(Action a)
    {
        try { a(); }
        catch (ApiException) { }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or ArgumentException)
        {
            Console.Error.WriteLine("clyde-lab: controller error: " + e.Message);
        }
    }

    async Task RunAsync(Watcher sub)
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                var reader = sub.Reader;
                while (await reader.WaitToReadAsync(token))
                {
                    var n = 0;
                    while (n < 5000 && reader.TryRead(out var e))
                    {
                        n++;
                        foreach (var c in _controllers) Safe(() => c.OnEvent(e));
                    }
                    foreach (var c in _controllers) Safe(c.Flush);
                }
            }
            catch (OperationCanceledException) { return; }
            catch (ChannelClosedException) { }
            sub.Dispose();
            if (token.IsCancellationRequested) return;
            // the subscription overflowed (or was closed): start over from a full resync
            sub = _lab.Store.Subscribe(capacity: 1_000_000);
            foreach (var c in _controllers) Safe(c.Resync);
            foreach (var c in _controllers) Safe(c.Flush);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_loop is not null) try { await _loop; } catch (OperationCanceledException) { }
        foreach (var s in _services) await s.DisposeAsync();
    }
}
