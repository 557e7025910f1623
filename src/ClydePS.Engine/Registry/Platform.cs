namespace ClydePS.Engine.Registry;

/// <summary>
/// An OCI platform (<c>os/architecture[/variant]</c>), normalized as containerd's platforms package does
/// (x86_64 = amd64, aarch64 = arm64, arm64's default variant v8, arm's v7).
/// </summary>
public sealed record Platform(string OperatingSystem, string Architecture, string? Variant = null)
{
    public static Platform LinuxAmd64 { get; } = new("linux", "amd64");

    public override string ToString() => OperatingSystem + "/" + Architecture + (string.IsNullOrEmpty(Variant) ? "" : "/" + Variant);

    /// <summary>Parses <c>os/arch[/variant]</c> or a bare architecture (then the OS is linux).</summary>
    public static Platform Parse(string? text)
    {
        var parts = (text ?? string.Empty).Trim().ToLowerInvariant().Split('/');
        if (parts.Length is < 1 or > 3 || parts.Any(p => p.Length == 0 || !p.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')))
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, RegistryErrorIds.InvalidPlatform,
                $"'{text}' is not a valid platform. Use os/architecture[/variant], for example linux/amd64 or linux/arm64/v8.", text);
        }
        return parts.Length == 1
            ? Normalize("linux", parts[0], null)
            : Normalize(parts[0], parts[1], parts.Length == 3 ? parts[2] : null);
    }

    public static Platform Normalize(string? os, string? architecture, string? variant)
    {
        var o = (os ?? "").ToLowerInvariant();
        var a = (architecture ?? "").ToLowerInvariant();
        var v = string.IsNullOrEmpty(variant) ? null : variant.ToLowerInvariant();
        switch (a)
        {
            case "x86_64" or "x86-64":
                a = "amd64";
                break;
            case "aarch64":
                a = "arm64";
                break;
            case "armhf":
                a = "arm";
                v ??= "v7";
                break;
            case "armel":
                a = "arm";
                v ??= "v6";
                break;
        }
        if (a == "arm64" && v == "8")
        {
            v = "v8";
        }
        if (a == "arm" && v is "5" or "6" or "7" or "8")
        {
            v = "v" + v;
        }
        return new Platform(o == "macos" ? "darwin" : o, a, v);
    }

    private string? DefaultVariant => Architecture switch
    {
        "arm64" => "v8",
        "arm" => "v7",
        _ => null,
    };

    /// <summary>True when an image built for <paramref name="candidate"/> runs on this platform (same OS and architecture, compatible variant).</summary>
    public bool Matches(Platform candidate)
    {
        if (candidate.OperatingSystem != OperatingSystem || candidate.Architecture != Architecture)
        {
            return false;
        }
        var wanted = Variant ?? DefaultVariant;
        var offered = candidate.Variant ?? candidate.DefaultVariant;
        return wanted == offered || Variant is null && candidate.Variant is null;
    }

    /// <summary>
    /// The best entry for this platform among an index's entries: an exact match first (variant included), then
    /// a compatible one; null when none fits.
    /// </summary>
    public int Choose(IReadOnlyList<Platform?> candidates)
    {
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates[i] is { } c && c == this)
            {
                return i;
            }
        }
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates[i] is { } c && Matches(c))
            {
                return i;
            }
        }
        return -1;
    }
}
