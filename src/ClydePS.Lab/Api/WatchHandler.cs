using System.Buffers;
using System.Text;
using ClydePS.Lab.Selectors;
using ClydePS.Lab.Store;

namespace ClydePS.Lab.Api;

/// <summary>
/// Watch as the real server serves it: newline-delimited JSON watch events, synthetic ADDED events only
/// when starting from no resourceVersion or "0", replay from the event history otherwise, one ERROR
/// event with a 410 Expired Status for a version older than the history, BOOKMARKs only when asked,
/// timeoutSeconds honoured, and selector transitions sent as ADDED/DELETED.
/// </summary>
public sealed class WatchHandler
{
    readonly ObjectStore _store;
    readonly LabClock _clock;
    readonly TimeSpan _bookmarkInterval;
    readonly Random _random = new();

    public WatchHandler(ObjectStore store, LabClock clock, TimeSpan bookmarkInterval)
    {
        _store = store;
        _clock = clock;
        _bookmarkInterval = bookmarkInterval;
    }

    public async Task HandleAsync(HttpContext ctx, RequestTarget t)
    {
        var q = ctx.Request.Query;
        var (labels, fields) = RestHandler.Selectors(ctx.Request, t.Def);
        var rvText = q["resourceVersion"].ToString();
        long? from = null;
        if (rvText.Length > 0 && rvText != "0")
        {
            if (!long.TryParse(rvText, out var parsed) || parsed < 0)
                throw ApiException.BadRequest($"resourceVersion: Invalid value: \"{rvText}\": strconv.ParseUint: parsing \"{rvText}\": invalid syntax");
            from = parsed;
        }
        TimeSpan timeout;
        if (q["timeoutSeconds"].Count > 0 && long.TryParse(q["timeoutSeconds"], out var ts) && ts > 0) timeout = TimeSpan.FromSeconds(ts);
        else lock (_random) timeout = TimeSpan.FromSeconds(1800 + _random.Next(1800));
        var bookmarks = q["allowWatchBookmarks"] == "true";
        // WatchList (sendInitialEvents=true): the current state as ADDED events, then a BOOKMARK marked
        // with the k8s.io/initial-events-end annotation
        var sendInitial = q["sendInitialEvents"] == "true";
        if (sendInitial)
        {
            if (!bookmarks || q["resourceVersionMatch"] != "NotOlderThan")
                throw new ApiException(422, "Invalid", "ListOptions.meta.k8s.io \"\" is invalid: [sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled, ...]: allowWatchBookmarks must be true and resourceVersionMatch must be NotOlderThan when sendInitialEvents is set")
                { HasDetails = false };
            from = null;
        }
        Func<StoredObject, byte[]>? asTable = null;
        if (ResponseWriter.WantsTable(ctx.Request))
        {
            var include = ResponseWriter.ParseIncludeObject(q["includeObject"]);
            var first = true;
            asTable = o =>
            {
                var b = ResponseWriter.BuildTable(t.Def, [o], null, _clock.UtcNow, include, first);
                first = false;
                return b.WrittenSpan.ToArray();
            };
        }

        Watcher watcher;
        List<StoreEvent> initial;
        long startRv;
        try
        {
            (watcher, initial, startRv) = _store.StartWatch(t.Def, t.Namespace, from);
        }
        catch (ApiException e) when (e.Code == 410)
        {
            await StartStreamAsync(ctx);
            var line = new ArrayBufferWriter<byte>();
            line.Write("{\"type\":\"ERROR\",\"object\":"u8);
            line.Write(StatusWriter.ToJson(e));
            line.Write("}\n"u8);
            await ctx.Response.Body.WriteAsync(line.WrittenMemory);
            await ctx.Response.Body.FlushAsync();
            return;
        }

        using var _ = watcher;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        cts.CancelAfter(timeout);
        var token = cts.Token;
        await StartStreamAsync(ctx);
        var body = ctx.Response.Body;
        var buffer = new ArrayBufferWriter<byte>(4096);
        Task? bookmarkLoop = bookmarks ? BookmarkLoopAsync(watcher, token) : null;
        try
        {
            foreach (var e in initial) Append(buffer, e, t.Def, labels, fields, asTable);
            if (sendInitial)
            {
                buffer.Write(Encoding.UTF8.GetBytes(
                    $"{{\"type\":\"BOOKMARK\",\"object\":{{\"kind\":\"{t.Def.Kind}\",\"apiVersion\":\"{t.Def.ApiVersion}\",\"metadata\":{{\"resourceVersion\":\"{startRv}\",\"creationTimestamp\":null,\"annotations\":{{\"k8s.io/initial-events-end\":\"true\"}}}}}}}}\n"));
            }
            if (buffer.WrittenCount > 0)
            {
                await body.WriteAsync(buffer.WrittenMemory, token);
                await body.FlushAsync(token);
                buffer.Clear();
            }
            var reader = watcher.Reader;
            while (await reader.WaitToReadAsync(token))
            {
                while (reader.TryRead(out var e)) Append(buffer, e, t.Def, labels, fields, asTable);
                if (buffer.WrittenCount == 0) continue;
                await body.WriteAsync(buffer.WrittenMemory, token);
                await body.FlushAsync(token);
                buffer.Clear();
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        finally
        {
            cts.Cancel();
            if (bookmarkLoop is not null) try { await bookmarkLoop; } catch (OperationCanceledException) { }
        }
    }

    static async Task StartStreamAsync(HttpContext ctx)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        ctx.Response.Headers.CacheControl = "no-cache, private";
        await ctx.Response.StartAsync();
        await ctx.Response.Body.FlushAsync();
    }

    async Task BookmarkLoopAsync(Watcher w, CancellationToken token)
    {
        using var timer = new PeriodicTimer(_bookmarkInterval);
        while (await timer.WaitForNextTickAsync(token)) w.RequestBookmark();
    }

    static bool Match(StoredObject? o, LabelSelector labels, FieldSelector fields, ResourceDefinition def) =>
        o is not null && labels.Matches(o.Object.Metadata.Labels) && fields.Matches(o.Object, def);

    static void Append(ArrayBufferWriter<byte> buffer, StoreEvent e, ResourceDefinition def, LabelSelector labels, FieldSelector fields,
        Func<StoredObject, byte[]>? asTable)
    {
        if (e.Type == StoreEventType.Bookmark)
        {
            buffer.Write(Encoding.UTF8.GetBytes(
                $"{{\"type\":\"BOOKMARK\",\"object\":{{\"kind\":\"{def.Kind}\",\"apiVersion\":\"{def.ApiVersion}\",\"metadata\":{{\"resourceVersion\":\"{e.ResourceVersion}\",\"creationTimestamp\":null}}}}}}\n"));
            return;
        }
        string type;
        if (labels.IsEmpty && fields.IsEmpty)
            type = e.Type switch { StoreEventType.Added => "ADDED", StoreEventType.Modified => "MODIFIED", _ => "DELETED" };
        else
        {
            var now = e.Type != StoreEventType.Deleted && Match(e.Object, labels, fields, def);
            var before = e.Type switch
            {
                StoreEventType.Added => false,
                _ => Match(e.Old, labels, fields, def),
            };
            if (e.Type == StoreEventType.Deleted) type = before ? "DELETED" : "";
            else if (now && before) type = "MODIFIED";
            else if (now) type = "ADDED";
            else if (before) type = "DELETED";
            else type = "";
            if (type.Length == 0) return;
        }
        buffer.Write("{\"type\":\""u8);
        buffer.Write(Encoding.ASCII.GetBytes(type));
        buffer.Write("\",\"object\":"u8);
        buffer.Write(asTable is null ? e.Object!.Json : asTable(e.Object!));
        buffer.Write("}\n"u8);
    }
}
