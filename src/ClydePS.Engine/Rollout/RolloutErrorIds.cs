namespace ClydePS.Engine.Rollout;

/// <summary>Stable ErrorIds of DaemonSet creation and rollout waiting. Never rename one: scripts match on them.</summary>
public static class RolloutErrorIds
{
    public const string ManifestInvalid = "ClydeManifestInvalid";
    public const string ManifestNotFound = "ClydeManifestNotFound";
    public const string InvalidName = "ClydeInvalidName";
    public const string InvalidToleration = "ClydeInvalidToleration";
    public const string InvalidNodeSelector = "ClydeInvalidNodeSelector";
    public const string InvalidMaxUnavailable = "ClydeInvalidMaxUnavailable";
    public const string InvalidTimeout = "ClydeInvalidTimeout";
    public const string WorkloadNotFound = "ClydeWorkloadNotFound";
    public const string WorkloadDeleted = "ClydeWorkloadDeleted";
    public const string RolloutTimeout = "ClydeRolloutTimeout";
    public const string JobFailed = "ClydeJobFailed";
    public const string ContainerNotFound = "ClydeContainerNotFound";
}
