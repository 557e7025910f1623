using System.Collections.Concurrent;
using ClydePS.Lab.Api;
using ClydePS.Lab.Store;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Controllers;

/// <summary>
/// Writes core/v1 Events as client-go's recorder does (name = object name + "." + hex nanoseconds; a repeat of
/// the same reason and message for the same object bumps count and lastTimestamp, as the EventCorrelator does).
/// </summary>
public sealed class EventRecorder
{
    readonly LabHost _lab;
    readonly ConcurrentDictionary<string, string> _seen = new();
    long _seq;

    public EventRecorder(LabHost lab) => _lab = lab;

    public bool Enabled { get; set; } = true;

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
