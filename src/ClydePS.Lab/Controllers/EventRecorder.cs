using System.Collections.Concurrent;
using ClydePS.Lab.Api;
using ClydePS.Lab.Store;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Controllers;

/// <summary>
/// Writes core/v1 Events as client-go's recorder does (name = object name + "." + hex nanoseconds; a repeat of
/// the same reason and message for the same object bumps count and lastTimestamp, as the EventCorrelator does).
/// Every Event, whoever wrote it, expires <see cref="LabOptions.EventTtl"/> (Lab time, default 1 h) after its last
/// write, as kube-apiserver's <c>--event-ttl</c> lease does, so a big Lab does not grow without bound.
/// </summary>
public sealed class EventRecorder
{
    readonly LabHost _lab;
    readonly ConcurrentDictionary<string, string> _seen = new();
    long _seq;

    public EventRecorder(LabHost lab) => _lab = lab;

    public bool Enabled { get; set; } = true;

    /// <summary>Sweeps expired Events every minute of Lab time (at most once per wall second).</summary>
    public async Task RunTtlAsync(TimeSpan ttl, CancellationToken ct)
    {
        if (ttl <= TimeSpan.Zero) return;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var wall = _lab.Clock.ToWall(TimeSpan.FromMinutes(1));
                if (wall < TimeSpan.FromMilliseconds(200)) wall = TimeSpan.FromMilliseconds(200);
                await Task.Delay(wall, ct);
                try { ExpireOlderThan(ttl); }
                catch (Exception e) when (e is ApiException or InvalidOperationException) { }
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Deletes the Events whose last write (lastTimestamp, eventTime, series, creation) is older than <paramref name="ttl"/>; returns how many.</summary>
    public int ExpireOlderThan(TimeSpan ttl)
    {
        var def = _lab.Registry.Find("", "v1", "events");
        if (def is null) return 0;
        var cutoff = _lab.Clock.UtcNow - ttl;
        var expired = 0;
        foreach (var so in _lab.Store.List(def, null).Items)
        {
            if (so.Object is not Corev1Event e || LastWrite(e) is not { } last || last >= cutoff) continue;
            try
            {
                _lab.Store.Delete(def, so.Namespace, so.Name, cur =>
                {
                    if (cur.Object is Corev1Event now && LastWrite(now) >= cutoff) throw ApiException.Conflict("events", "", so.Name, "renewed");
                });
                expired++;
            }
            catch (ApiException) { }
        }
        return expired;
    }

    static DateTime? LastWrite(Corev1Event e)
    {
        DateTime? best = null;
        foreach (var t in new[] { e.LastTimestamp, e.EventTime, e.Series?.LastObservedTime, e.Metadata?.CreationTimestamp })
            if (t is { } v && (best is null || v.ToUniversalTime() > best)) best = v.ToUniversalTime();
        return best;
    }

    public void Record(IKubernetesObject<V1ObjectMeta> obj, string type, string reason, string message,
        string component, string? host = null, string? fieldPath = null)
    {
        if (!Enabled) return;
        var def = _lab.Registry.Find("", "v1", "events");
        if (def is null) return;
        var ns = obj.Metadata.NamespaceProperty is { Length: > 0 } n ? n : "default";
        var now = _lab.Clock.UtcNowSeconds;
        var key = $"{obj.Metadata.Uid}|{fieldPath}|{reason}|{message}|{component}";
        try
        {
            if (_seen.TryGetValue(key, out var existing) && _lab.Store.Get(def, ns, existing) is not null)
            {
                _lab.Store.Update(def, ns, existing, cur =>
                {
                    var e = (Corev1Event)def.Clone(cur.Object);
                    e.Count = (e.Count ?? 1) + 1;
                    e.LastTimestamp = now;
                    return e;
                });
                return;
            }
            var nanos = (_lab.Clock.UtcNow - DateTime.UnixEpoch).Ticks * 100 + Interlocked.Increment(ref _seq) % 100;
            var ev = new Corev1Event
            {
                Metadata = new V1ObjectMeta { Name = $"{obj.Metadata.Name}.{nanos:x}", NamespaceProperty = ns },
                InvolvedObject = new V1ObjectReference
                {
                    ApiVersion = obj.ApiVersion, Kind = obj.Kind, Name = obj.Metadata.Name, NamespaceProperty = obj.Metadata.NamespaceProperty,
                    Uid = obj.Metadata.Uid, ResourceVersion = obj.Metadata.ResourceVersion, FieldPath = fieldPath,
                },
                Reason = reason, Message = message, Type = type, Count = 1,
                Source = new V1EventSource { Component = component, Host = host },
                FirstTimestamp = now, LastTimestamp = now,
                ReportingComponent = component, ReportingInstance = host ?? "",
            };
            var stored = _lab.Rest.CreateObject(def, ns, ev);
            _seen[key] = stored.Name;
            if (_seen.Count > 200_000) _seen.Clear();
        }
        catch (ApiException) { }
    }
}
