using System.Text.RegularExpressions;

namespace ClydePS.Lab.Images;

/// <summary>
/// A parsed, normalised image reference as containerd sees it: <c>busybox:1.36</c> is
/// <c>docker.io/library/busybox:1.36</c>; no tag and no digest means <c>:latest</c>.
/// </summary>
public sealed partial record ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    /// <summary><c>registry/repository</c>, e.g. <c>docker.io/library/busybox</c>.</summary>
    public string Name => Registry + "/" + Repository;

    /// <summary>The normalised reference: name, <c>:tag</c> and/or <c>@digest</c>.</summary>
    public override string ToString() => Name + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    [GeneratedRegex("^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex("^sha256:[a-f0-9]{64}$")]
    private static partial Regex DigestPattern();

    [GeneratedRegex("^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$")]
    private static partial Regex HostPattern();

    public static bool IsDigest(string s) => DigestPattern().IsMatch(s);

    /// <summary>Parses a reference the way containerd's reference.ParseDockerRef does; false when malformed.</summary>
    public static bool TryParse(string? text, out ImageReference reference)
    {
        reference = null!;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 4096 || text != text.Trim()) return false;
        var rest = text;
        string? digest = null;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!DigestPattern().IsMatch(digest)) return false;
        }
        string? tag = null;
        var lastSlash = rest.LastIndexOf('/');
        var colon = rest.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagPattern().IsMatch(tag)) return false;
        }
        string registry;
        var slash = rest.IndexOf('/');
        var first = slash < 0 ? "" : rest[..slash];
        if (slash > 0 && (first.Contains('.') || first.Contains(':') || first == "localhost"))
        {
            registry = first;
            rest = rest[(slash + 1)..];
            if (!HostPattern().IsMatch(registry)) return false;
        }
        else registry = "docker.io";
        if (registry is "index.docker.io" or "registry-1.docker.io") registry = "docker.io";
        if (registry == "docker.io" && !rest.Contains('/')) rest = "library/" + rest;
        if (!RepositoryPattern().IsMatch(rest) || rest.Length > 255) return false;
        if (tag is null && digest is null) tag = "latest";
        reference = new ImageReference(registry, rest, tag, digest);
        return true;
    }

    public static ImageReference? Parse(string? text) => TryParse(text, out var r) ? r : null;
}
