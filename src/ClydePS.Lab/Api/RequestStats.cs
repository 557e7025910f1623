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
    long _requestBytes;
    long _responseBytes;

    /// <summary>Bytes of API request bodies received and of API responses sent (watch streams as they are written).</summary>
    public void AddBytes(long request, long response)
    {
        if (request > 0) Interlocked.Add(ref _requestBytes, request);
        if (response > 0) Interlocked.Add(ref _responseBytes, response);
    }

    public long RequestBytes => Interlocked.Read(ref _requestBytes);
    public long ResponseBytes => Interlocked.Read(ref _responseBytes);

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
        Interlocked.Exchange(ref _requestBytes, 0);
        Interlocked.Exchange(ref _responseBytes, 0);
    }

    /// <summary>
    /// {"total":N,"requestBytes":N,"responseBytes":N,"requests":[{"verb":"list","resource":"nodes","count":3},...]} sorted by
    /// resource then verb. Bytes are the API's (/api, /apis) bodies, not headers.
    /// </summary>
    public byte[] ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Store.StatusWriter.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("total", Total);
            w.WriteNumber("requestBytes", RequestBytes);
            w.WriteNumber("responseBytes", ResponseBytes);
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

/// <summary>A write-only stream that forwards to the response body and counts what passes, as it passes.</summary>
sealed class CountingResponseStream(Stream inner, RequestStats stats) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        stats.AddBytes(0, count);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken);
        stats.AddBytes(0, buffer.Length);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
}
