using System.Threading.Channels;

namespace ClydePS.Lab.Store;

/// <summary>
/// One subscription to store changes of a resource (optionally one namespace). Events are queued in a
/// bounded channel without blocking writers; a watcher that falls behind is closed (as the real
/// server's cacher terminates blocked watchers), and its client re-lists or re-watches.
/// </summary>
public sealed class Watcher : IDisposable
{
    readonly Channel<StoreEvent> _channel;
    readonly ObjectStore _store;

    public ResourceDefinition? Def { get; }
    public string? Namespace { get; }
    public bool Overflowed { get; private set; }
    public ChannelReader<StoreEvent> Reader => _channel.Reader;

    internal Watcher(ObjectStore store, ResourceDefinition? def, string? ns, int capacity)
    {
        _store = store;
        Def = def;
        Namespace = ns;
        _channel = Channel.CreateBounded<StoreEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.Wait,
        });
    }

    internal bool Matches(StoreEvent e) =>
        (Def is null || ReferenceEquals(e.Def, Def)) &&
        (Namespace is null || e.Object is null || e.Object.Namespace == Namespace);

    /// <summary>Called under the store lock; never blocks.</summary>
    internal void Offer(StoreEvent e)
    {
        if (Overflowed) return;
        if (!_channel.Writer.TryWrite(e))
        {
            Overflowed = true;
            _channel.Writer.TryComplete();
        }
    }

    internal void Complete() => _channel.Writer.TryComplete();

    /// <summary>Queues a bookmark carrying the store's current resourceVersion, in order with events.</summary>
    public void RequestBookmark() => _store.QueueBookmark(this);

    public void Dispose() => _store.Unsubscribe(this);
}
