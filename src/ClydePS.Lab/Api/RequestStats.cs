using System.Collections.Concurrent;
using System.Text.Json;

namespace ClydePS.Lab.Api;

/// <summary>One API request, as the request log keeps it.</summary>
public sealed record RequestLogEntry(DateTime Time, string Verb, string Resource, string? Namespace, string? Name, int Code,
    double DurationMs, string? UserAgent, string Query);

/// <summary>
/// Counters of API requests per verb and resource (resource includes the subresource, e.g. pods/status),
/// and a bounded log of the most recent requests.
/// </summary>
public sealed class RequestStats
{
    readonly RequestLogEntry?[] _log = new RequestLogEntry?[2000];
    long _logged;

    public void Record(RequestLogEntry e)
    {
        var n = Interlocked.Increment(ref _logged) - 1;
        Volatile.Write(ref _log[n % _log.Length], e);
    }

    /// <summary>The most recent requests, oldest first.</summary>
    public List<RequestLogEntry> Recent(int limit)
    {
        var total = Interlocked.Read(ref _logged);
        var count = (int)Math.Min(Math.Min(total, _log.Length), Math.Max(0, limit));
        var list = new List<RequestLogEntry>(count);
        for (var i = total - count; i < total; i++)
            if (Volatile.Read(ref _log[i % _log.Length]) is { } e) list.Add(e);
        return list;
    }

    readonly ConcurrentDictionary<(string Verb, string Resource), long> _counts = new();
    long _total;

    public void Count(string verb, string resource)
    {
        _counts.AddOrUpdate((verb, resource), 1, (_, n) => n + 1);
        Interlocked.Increment(ref _total);
    }

    public long Get(string verb, string resource) => _counts.GetValueOrDefault((verb, resource));
    public long Total => Interlocked.Read(ref _total);

    public void Reset()
    {
        _counts.Clear();
        Array.Clear(_log);
        Interlocked.Exchange(ref _logged, 0);
        Interlocked.Exchange(ref _total, 0);
    }

    /// <summary>{"total":N,"requests":[{"verb":"list","resource":"nodes","count":3},...]} sorted by resource then verb.</summary>
    public byte[] ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Store.StatusWriter.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("total", Total);
            w.WriteStartArray("requests");
            foreach (var ((verb, resource), count) in _counts.OrderBy(kv => kv.Key.Resource, StringComparer.Ordinal).ThenBy(kv => kv.Key.Verb, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("verb", verb);
                w.WriteString("resource", resource);
                w.WriteNumber("count", count);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }
}
