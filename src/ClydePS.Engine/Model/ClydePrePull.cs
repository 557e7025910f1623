namespace ClydePS;

/// <summary>One seeder where an image's pre-pull failed, and why.</summary>
public sealed class ClydePrePullFailure
{
    public string Node { get; init; } = "";

    /// <summary>ErrImagePull, ImagePullBackOff, NodeLost, Timeout, CreateFailed, TagMoved, ContainerFailed, PodFailed or HelperImage.</summary>
    public string Reason { get; init; } = "";

    public string Message { get; init; } = "";

    public override string ToString() => $"{Node}: {Reason}";
}

/// <summary>
/// What Start-ClydePrePull did with one image: the digest it resolved to, the seeders it was pulled on, which of them
/// hold it now (proved by digest, not by a Running pod), which failed with their reason, and the holder pods that keep
/// it safe from kubelet's image garbage collection.
/// </summary>
public sealed class ClydePrePullResult
{
    public string Image { get; init; } = "";
    public string Digest { get; init; } = "";
    public long SizeBytes { get; init; }
    public string Namespace { get; init; } = "";
    public string RunId { get; init; } = "";

    /// <summary>The seeders the image was pre-pulled on.</summary>
    public string[] Nodes { get; init; } = [];

    /// <summary>The seeders that hold the digest now (pulled by this run or already held).</summary>
    public string[] Succeeded { get; init; } = [];

    /// <summary>The seeders whose holder pod from an earlier run already proved the digest: nothing was pulled there.</summary>
    public string[] AlreadyHeld { get; init; } = [];

    public ClydePrePullFailure[] Failed { get; init; } = [];

    /// <summary>The holder pods kept (one per seeder holding the image); empty with -NoHold.</summary>
    public string[] HolderPods { get; init; } = [];

    public TimeSpan Timeout { get; init; }
    public TimeSpan Duration { get; init; }

    public bool Complete => Failed.Length == 0 && Succeeded.Length == Nodes.Length;

    public override string ToString() => $"{Image}: {Succeeded.Length}/{Nodes.Length}";
}

/// <summary>What Watch-ClydeSeeder saw or did.</summary>
public enum SeederEventKind
{
    /// <summary>A seeder turned NotReady (the grace period starts).</summary>
    NotReady,

    /// <summary>A NotReady seeder became Ready again within the grace period.</summary>
    Recovered,

    /// <summary>A seeder was replaced: NotReady longer than the grace period, or gone.</summary>
    Replaced,

    /// <summary>A seeder needed replacing but no eligible node was left.</summary>
    NoReplacement,

    /// <summary>The images were pre-pulled on a new seeder (see PrePull).</summary>
    PrePulled,

    /// <summary>The watch failed for a while (API errors) and resumed.</summary>
    Error,
}

/// <summary>One event of Watch-ClydeSeeder: what happened to which seeder, its replacement and the pre-pull on it.</summary>
public sealed class ClydeSeederEvent
{
    public DateTimeOffset Time { get; init; }
    public SeederEventKind Kind { get; init; }

    /// <summary>The seeder the event is about (the one replaced, for Replaced).</summary>
    public string Node { get; init; } = "";

    /// <summary>The new seeder, for Replaced and PrePulled.</summary>
    public string? Replacement { get; init; }

    public string? Zone { get; init; }
    public NetworkClass? NetworkClass { get; init; }
    public string Reason { get; init; } = "";

    /// <summary>The pre-pull results on the replacement (PrePulled).</summary>
    public ClydePrePullResult[] PrePull { get; init; } = [];

    public override string ToString() => $"{Kind} {Node}{(Replacement is null ? "" : " -> " + Replacement)}";
}
