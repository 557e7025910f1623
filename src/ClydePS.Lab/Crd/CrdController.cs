using ClydePS.Lab.Controllers;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Crd;

/// <summary>
/// The apiextensions controllers: a CustomResourceDefinition's served versions are registered (so they are
/// served and appear in discovery at once), its status gets acceptedNames, storedVersions and the
/// NamesAccepted and Established conditions (NamesAccepted False when the names are taken by another
/// resource); a deleted CRD's custom resources are deleted, then its cleanup finalizer removed.
/// </summary>
public sealed class CrdController(LabHost lab) : IStoreController
{
    readonly HashSet<string> _dirty = [];
    readonly Dictionary<string, (string Generation, List<ResourceDefinition> Defs)> _served = [];

    ResourceDefinition Crds => lab.Registry.Get(CustomResourceDefinitionResource.Group, "v1", "customresourcedefinitions");

    public void Resync()
    {
        foreach (var c in lab.Store.List(Crds, null).Items) _dirty.Add(c.Name);
    }

    public void OnEvent(StoreEvent e)
    {
        if (e.Object is null || !ReferenceEquals(e.Def, Crds)) return;
        _dirty.Add(e.Object.Name);
    }

    public void Flush()
    {
        foreach (var name in _dirty.ToList())
        {
            _dirty.Remove(name);
            try { Sync(name); }
            catch (ApiException) { }
        }
    }

    void Unserve(string name)
    {
        if (!_served.Remove(name, out var s)) return;
        foreach (var d in s.Defs) lab.Registry.Unregister(d);
    }

    void Sync(string name)
    {
        var cur = lab.Store.Get(Crds, "", name);
        if (cur is null) { Unserve(name); return; }
        var crd = (V1CustomResourceDefinition)cur.Object;
        if (crd.Metadata.DeletionTimestamp is not null)
        {
            if (_served.TryGetValue(name, out var s))
                foreach (var d in s.Defs)
                    foreach (var o in lab.Store.List(d, null).Items)
                        try { lab.Store.Delete(d, o.Namespace, o.Name); } catch (ApiException) { }
            Unserve(name);
            lab.Store.Update(Crds, "", name, c =>
            {
                var copy = (V1CustomResourceDefinition)Crds.Clone(c.Object);
                copy.Metadata.Finalizers?.Remove(CustomResourceDefinitionResource.CleanupFinalizer);
                return copy;
            });
            return;
        }
        var spec = crd.Spec;
        // names taken by a built-in (or another CRD's) resource are not accepted
        var conflict = spec.Versions.Any(v => lab.Registry.Find(spec.Group, v.Name, spec.Names.Plural) is { } existing &&
            !(_served.TryGetValue(name, out var mine) && mine.Defs.Any(d => ReferenceEquals(d, existing))));
        var generation = (crd.Metadata.Generation ?? 0).ToString();
        if (!conflict && !(_served.TryGetValue(name, out var served) && served.Generation == generation))
        {
            Unserve(name);
            var defs = spec.Versions.Where(v => v.Served).Select(v => CustomResourceDefinitionResource.Served(crd, v)).ToList();
            foreach (var d in defs) lab.Registry.Register(d);
            _served[name] = (generation, defs);
        }
        var now = lab.Clock.UtcNowSeconds;
        lab.Store.Update(Crds, "", name, c =>
        {
            var copy = (V1CustomResourceDefinition)Crds.Clone(c.Object);
            var st = copy.Status ??= new V1CustomResourceDefinitionStatus();
            var conds = st.Conditions?.ToList() ?? [];
            void SetCond(string type, string status, string reason, string message)
            {
                var existing = conds.FirstOrDefault(x => x.Type == type);
                if (existing is not null && existing.Status == status && existing.Reason == reason && existing.Message == message) return;
                conds.RemoveAll(x => x.Type == type);
                conds.Add(new V1CustomResourceDefinitionCondition { Type = type, Status = status, Reason = reason, Message = message, LastTransitionTime = now });
            }
            if (conflict)
            {
                SetCond("NamesAccepted", "False", "PluralConflict", $"\"{spec.Names.Plural}\" is already in use");
                SetCond("Established", "False", "NotAccepted", "not all names are accepted");
            }
            else
            {
                SetCond("NamesAccepted", "True", "NoConflicts", "no conflicts found");
                SetCond("Established", "True", "InitialNamesAccepted", "the initial names have been accepted");
                st.AcceptedNames = new V1CustomResourceDefinitionNames
                {
                    Plural = spec.Names.Plural, Singular = spec.Names.Singular, Kind = spec.Names.Kind, ListKind = spec.Names.ListKind,
                    ShortNames = spec.Names.ShortNames, Categories = spec.Names.Categories,
                };
                var storage = spec.Versions.First(v => v.Storage).Name;
                st.StoredVersions ??= new List<string>();
                if (!st.StoredVersions.Contains(storage)) st.StoredVersions.Add(storage);
            }
            st.Conditions = conds.OrderBy(x => x.Type == "NamesAccepted" ? 0 : 1).ToList();
            return copy;
        }, removeWhenFinalized: false);
    }
}
