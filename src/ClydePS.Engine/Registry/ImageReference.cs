using System.Text.RegularExpressions;

namespace ClydePS.Engine.Registry;

/// <summary>
/// An image reference parsed and normalized exactly as Docker and containerd do (distribution/reference's
/// ParseNormalizedNamed): a single-component name goes to <c>docker.io/library/</c>; the first component is a
/// registry host when it contains a '.' or a ':' port or is <c>localhost</c> (or has upper case); the repository
/// is lower case; a tag, a digest or both may follow. With neither, the tag is <c>latest</c>.
/// </summary>
public sealed partial record ImageReference
{
    public const string DefaultRegistry = "docker.io";
    public const string DefaultTag = "latest";
    public const int NameTotalLengthMax = 255;

    private const string Alphanumeric = "[a-z0-9]+";
    private const string Separator = "(?:[._]|__|[-]+)";
    private const string DomainNameComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private const string OptionalPort = "(?::[0-9]+)?";
    private const string TagPattern = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
    private const string DigestPattern = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";
    private const string Ipv6Address = @"\[(?:[a-fA-F0-9:]+)\]";
    private const string DomainName = DomainNameComponent + @"(?:\." + DomainNameComponent + ")*";
    private const string Host = "(?:" + DomainName + "|" + Ipv6Address + ")";
    private const string DomainAndPort = Host + OptionalPort;
    private const string PathComponent = Alphanumeric + "(?:" + Separator + Alphanumeric + ")*";
    private const string RemoteName = PathComponent + "(?:/" + PathComponent + ")*";
    private const string NamePattern = "(?:" + DomainAndPort + "/)?" + RemoteName;

    [GeneratedRegex("^(" + NamePattern + ")(?::(" + TagPattern + "))?(?:@(" + DigestPattern + "))?$", RegexOptions.CultureInvariant)]
    private static partial Regex ReferencePattern();

    [GeneratedRegex("^(?:(" + DomainAndPort + ")/)?(" + RemoteName + ")$", RegexOptions.CultureInvariant)]
    private static partial Regex AnchoredName();

    [GeneratedRegex("^[a-f0-9]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();

    private ImageReference(string registry, string repository, string? tag, string? digest)
    {
        Registry = registry;
        Repository = repository;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>The registry host as written in the reference (<c>docker.io</c>, <c>ghcr.io</c>, <c>127.0.0.1:5000</c>).</summary>
    public string Registry { get; }

    /// <summary>The repository path inside the registry (<c>library/ubuntu</c>).</summary>
    public string Repository { get; }

    /// <summary>The tag; <c>latest</c> when the reference had neither a tag nor a digest; null for a digest-only reference.</summary>
    public string? Tag { get; }

    /// <summary>The digest the reference pins (<c>sha256:...</c>), else null.</summary>
    public string? Digest { get; }

    /// <summary><c>registry/repository</c>.</summary>
    public string Name => Registry + "/" + Repository;

    /// <summary>What to ask the registry for: the digest when there is one (as Docker does for tag+digest), else the tag.</summary>
    public string ManifestReference => Digest ?? Tag ?? DefaultTag;

    /// <summary>The host that serves the registry API: Docker Hub's API lives at registry-1.docker.io.</summary>
    public string ApiHost => RegistryHosts.ApiHost(Registry);

    /// <summary>The fully qualified reference, e.g. <c>docker.io/library/ubuntu:latest</c>.</summary>
    public override string ToString() =>
        Name + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    /// <summary>Parses and normalizes a reference; throws ClydeException ClydeInvalidImageReference when it is invalid.</summary>
    public static ImageReference Parse(string? text)
    {
        if (TryParse(text, out var reference, out var error))
        {
            return reference!;
        }
        throw new ClydeException(ClydeErrorKind.InvalidArgument, RegistryErrorIds.InvalidImageReference,
            $"'{text}' is not a valid image reference: {error}. Use the form [registry/]repository[:tag][@digest], for example 'nginx:1.27' or 'ghcr.io/org/app@sha256:...'.",
            text);
    }

    public static bool TryParse(string? text, out ImageReference? reference, out string? error)
    {
        reference = null;
        error = null;
        var s = text ?? string.Empty;
        if (s.Length == 0)
        {
            error = "repository name must have at least one component";
            return false;
        }
        if (Identifier().IsMatch(s))
        {
            error = "a 64-character hexadecimal string is an image ID, not a repository name";
            return false;
        }

        var (domain, remainder) = SplitDockerDomain(s);
        var tagSeparator = remainder.IndexOf(':');
        var remote = tagSeparator > -1 ? remainder[..tagSeparator] : remainder;
        if (!string.Equals(remote.ToLowerInvariant(), remote, StringComparison.Ordinal))
        {
            error = $"repository name ({remote}) must be lowercase";
            return false;
        }

        var full = domain + "/" + remainder;
        var match = ReferencePattern().Match(full);
        if (!match.Success)
        {
            error = ReferencePattern().IsMatch(full.ToLowerInvariant())
                ? "repository name must be lowercase"
                : "invalid reference format";
            return false;
        }
        var name = match.Groups[1].Value;
        if (name.Length > NameTotalLengthMax)
        {
            error = $"repository name must not be more than {NameTotalLengthMax} characters";
            return false;
        }
        var nameMatch = AnchoredName().Match(name);
        if (!nameMatch.Success)
        {
            error = "invalid reference format";
            return false;
        }
        string? digest = match.Groups[3].Success ? match.Groups[3].Value : null;
        if (digest is not null && !ValidateDigest(digest, out error))
        {
            return false;
        }
        string? tag = match.Groups[2].Success ? match.Groups[2].Value : null;
        if (tag is null && digest is null)
        {
            tag = DefaultTag;
        }
        reference = new ImageReference(nameMatch.Groups[1].Value, nameMatch.Groups[2].Value, tag, digest);
        return true;
    }

    /// <summary>The same repository pinned to another digest (tag kept), e.g. to address a platform manifest.</summary>
    public ImageReference WithDigest(string digest) => new(Registry, Repository, Tag, digest);

    /// <summary>go-digest's rules: a known algorithm and an encoded part of its exact length in lower-case hex.</summary>
    public static bool ValidateDigest(string digest, out string? error)
    {
        error = null;
        var colon = digest.IndexOf(':');
        if (colon <= 0)
        {
            error = "invalid digest format";
            return false;
        }
        var algorithm = digest[..colon];
        var encoded = digest[(colon + 1)..];
        int? length = algorithm switch { "sha256" => 64, "sha384" => 96, "sha512" => 128, _ => null };
        if (length is null)
        {
            error = $"unsupported digest algorithm '{algorithm}'";
            return false;
        }
        if (encoded.Length != length)
        {
            error = $"invalid checksum digest length for {algorithm}";
            return false;
        }
        if (!encoded.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f'))
        {
            error = "invalid checksum digest format";
            return false;
        }
        return true;
    }

    private static (string Domain, string Remainder) SplitDockerDomain(string name)
    {
        var slash = name.IndexOf('/');
        if (slash < 0)
        {
            return (DefaultRegistry, "library/" + name);
        }
        var maybeDomain = name[..slash];
        var maybeRemote = name[(slash + 1)..];
        string domain, remote;
        if (maybeDomain == "localhost")
        {
            (domain, remote) = (maybeDomain, maybeRemote);
        }
        else if (maybeDomain == "index.docker.io")
        {
            (domain, remote) = (DefaultRegistry, maybeRemote);
        }
        else if (maybeDomain.IndexOfAny(['.', ':']) >= 0 || !string.Equals(maybeDomain.ToLowerInvariant(), maybeDomain, StringComparison.Ordinal))
        {
            (domain, remote) = (maybeDomain, maybeRemote);
        }
        else
        {
            (domain, remote) = (DefaultRegistry, name);
        }
        if (domain == DefaultRegistry && !remote.Contains('/'))
        {
            remote = "library/" + remote;
        }
        return (domain, remote);
    }
}
