using ClydePS.Lab.Patch;
using ClydePS.Lab.Store;
using k8s.Models;

namespace ClydePS.Lab.Resources.Core;

/// <summary>coordination.k8s.io/v1 Lease (node heartbeats live in kube-node-lease).</summary>
public static class LeaseResource
{
    public static ResourceDefinition Definition() => new()
    {
        Group = "coordination.k8s.io", Version = "v1", Plural = "leases", Singular = "lease", Kind = "Lease", Namespaced = true,
        ClrType = typeof(V1Lease), StorageVersionHash = "gqkMMb/YqFM=",
        Table = new SimpleTable([SimpleTable.Name,
                new("Holder", "string", "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field."),
                SimpleTable.Age],
            (o, now) => { var l = (V1Lease)o; return [l.Metadata.Name, l.Spec?.HolderIdentity ?? "", SimpleTable.Age_(o, now)]; }),
        Defaulter = o => ((V1Lease)o).Spec ??= new V1LeaseSpec(),
        Validator = (o, old) =>
        {
            var l = (V1Lease)o;
            var causes = Validation.ObjectMeta(o, true, Validation.SubdomainError);
            if (l.Spec?.LeaseDurationSeconds is <= 0) causes.Add(Validation.InvalidValue("spec.leaseDurationSeconds", l.Spec.LeaseDurationSeconds.ToString()!, "must be greater than 0"));
            if (l.Spec?.LeaseTransitions is < 0) causes.Add(Validation.InvalidValue("spec.leaseTransitions", l.Spec.LeaseTransitions.ToString()!, "must be greater than or equal to 0"));
            return causes;
        },
        PatchSchema = new PatchSchema(PatchSchema.MetadataEntries()),
    };
}
