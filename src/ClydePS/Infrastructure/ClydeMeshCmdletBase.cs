using System.Collections;
using System.Management.Automation;
using ClydePS.Engine.Mesh;
using ClydePS.Engine.Rollout;

namespace ClydePS.Infrastructure;

/// <summary>What New-ClydeMesh and Set-ClydeMesh share: -Resources parsing, applying, and following the ordered rollout.</summary>
public abstract class ClydeMeshCmdletBase : ClydeClusterCmdletBase
{
    private const int ProgressId = 7410;

    /// <summary>Parses <c>@{ requests = @{ cpu = '100m' }; limits = @{ memory = '512Mi' } }</c>.</summary>
    protected static (IReadOnlyDictionary<string, string>? Requests, IReadOnlyDictionary<string, string>? Limits) ParseResources(Hashtable? resources)
    {
        if (resources is null)
        {
            return (null, null);
        }

        Dictionary<string, string>? requests = null, limits = null;
        foreach (DictionaryEntry e in resources)
        {
            string key = e.Key?.ToString() ?? "";
            var target = key.Equals("requests", StringComparison.OrdinalIgnoreCase) ? requests ??= new(StringComparer.Ordinal)
                : key.Equals("limits", StringComparison.OrdinalIgnoreCase) ? limits ??= new(StringComparer.Ordinal)
                : throw new ClydeException(ClydeErrorKind.InvalidArgument, MeshErrorIds.InvalidSetting,
                    $"-Resources: '{key}' is not requests or limits. Use @{{ requests = @{{ cpu = '100m'; memory = '128Mi' }}; limits = @{{ memory = '512Mi' }} }}.", key);
            if ((e.Value is PSObject p ? p.BaseObject : e.Value) is not IDictionary inner)
            {
                throw new ClydeException(ClydeErrorKind.InvalidArgument, MeshErrorIds.InvalidSetting,
                    $"-Resources: '{key}' must be a hashtable such as @{{ cpu = '100m'; memory = '128Mi' }}.", e.Value);
            }

            foreach (DictionaryEntry q in inner)
            {
                target[q.Key?.ToString() ?? ""] = (q.Value is PSObject qp ? qp.BaseObject : q.Value)?.ToString() ?? "";
            }
        }

        return (requests, limits);
    }

    /// <summary>-WhatIf / confirmation, apply, optional wait; writes the resulting ClydeMesh.</summary>
    protected void ApplyAndWrite(MeshObjects mesh, string verb, bool wait, TimeSpan timeout)
    {
        var gateway = Gateway;
        var plan = Run(ct => MeshService.PlanAsync(gateway, mesh, ct));
        foreach (var (obj, outcome) in plan)
        {
            WriteVerbose($"{obj}: {Word(outcome)}");
        }

        string what = string.Join("; ", plan.Select(p => $"{Word(p.Outcome)} {p.Object}"));
        if (!ShouldProcess($"Mesh {mesh.Namespace}/{mesh.Name}: {what}", verb))
        {
            return;
        }

        var applied = Run(ct => MeshService.ApplyAsync(gateway, mesh, ct));
        foreach (var (obj, outcome) in applied.Objects)
        {
            WriteVerbose($"{obj}: {outcome}");
        }

        if (!wait)
        {
            WriteObject(applied.Mesh);
            return;
        }

        string activity = $"Rolling out mesh {mesh.Namespace}/{mesh.Name} (ordered: pod 0, then 1, ...)";
        RolloutOutcome done = Run(ct => MeshService.WaitAsync(gateway, mesh.Namespace, mesh.Name, timeout, p => Post(() =>
            WriteProgress(new ProgressRecord(ProgressId, activity, p.Message.TrimEnd('.'))
            {
                PercentComplete = p.Complete ? 100 : p.Desired <= 0 ? 0 : Math.Clamp((p.Updated + p.Ready) * 50 / p.Desired, 0, 100),
            })), ct));
        WriteProgress(new ProgressRecord(ProgressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
        WriteVerbose(done.Status.Message);
        WriteObject(Run(ct => MeshService.GetAsync(gateway, mesh.Namespace, mesh.Name, applied.Mesh.Outcome, ct)) ?? applied.Mesh);
    }

    private static string Word(ApplyOutcome o) => o switch
    {
        ApplyOutcome.Created => "create",
        ApplyOutcome.Updated => "update",
        _ => "leave unchanged",
    };
}
