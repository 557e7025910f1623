using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using ClydePS.Lab.Faults;

namespace ClydePS.Lab.Kubelet;

/// <summary>
/// The default puller: every well-formed reference exists, pulls complete at once (or after <see cref="PullTime"/> of
/// Lab time), facts are synthetic: digest from a hash of the reference, size from the hash, a shell unless the
/// reference says distroless, scratch or pause. Honours <see cref="PullFault"/>s of the Lab's fault plan.
/// </summary>
public sealed class InstantImagePuller : IImagePuller
{
    readonly ConcurrentDictionary<(string Node, string Image), bool> _present = new();
    readonly Func<string, string, bool>? _preloaded;
    readonly FaultState? _faults;
    readonly LabClock? _clock;
    long _draws;

    /// <param name="preloaded">(node, normalized image) -> true when the node starts with the image (its status.images).</param>
    public InstantImagePuller(Func<string, string, bool>? preloaded = null, FaultState? faults = null, LabClock? clock = null)
    {
        _preloaded = preloaded;
        _faults = faults;
        _clock = clock;
    }

    /// <summary>Lab time each pull takes (default zero).</summary>
    public TimeSpan PullTime { get; set; }

    public bool IsPresent(string nodeName, string image) =>
        _present.ContainsKey((nodeName, ImageNames.Normalize(image))) || _preloaded?.Invoke(nodeName, ImageNames.Normalize(image)) == true;

    public async Task<PulledImage> PullAsync(string nodeName, string image, IProgress<(long Done, long Total)>? progress, CancellationToken cancellationToken)
    {
        var facts = Describe(image) ?? throw new ImagePullException($"failed to pull and unpack image \"{image}\": invalid reference format", true);
        foreach (var f in _faults?.Current.Pulls ?? [])
        {
            if (f.Node is not null && f.Node != nodeName) continue;
            if (f.Image is not null && f.Image != image && ImageNames.Normalize(f.Image) != ImageNames.Normalize(image) &&
                ImageNames.Repository(ImageNames.Normalize(image)) != ImageNames.Repository(ImageNames.Normalize(f.Image))) continue;
            var draw = (Interlocked.Increment(ref _draws) * 0.6180339887) % 1.0;
            if (f.Rate >= 1 || draw < f.Rate)
            {
                var n = ImageNames.Normalize(image);
                throw new ImagePullException(f.Message ??
                    $"rpc error: code = Unknown desc = failed to pull and unpack image \"{n}\": failed to resolve reference \"{n}\": unexpected status from HEAD request to https://{ImageNames.Registry(n)}/v2/{ImageNames.Path(n)}/manifests/{ImageNames.Tag(n)}: 503 Service Unavailable");
            }
        }
        if (PullTime > TimeSpan.Zero && _clock is not null) await _clock.DelayAsync(PullTime, cancellationToken);
        progress?.Report((facts.SizeBytes, facts.SizeBytes));
        _present[(nodeName, ImageNames.Normalize(image))] = true;
        return new PulledImage(image, ImageNames.Repository(ImageNames.Normalize(image)) + "@" + facts.Digest, facts.SizeBytes, facts.HasShell);
    }

    public ImageFacts? Describe(string image)
    {
        if (string.IsNullOrWhiteSpace(image) || image.Any(char.IsWhiteSpace) || image.Any(char.IsUpper) && !image.Contains('@')) return null;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(ImageNames.Normalize(image)));
        var digest = "sha256:" + Convert.ToHexString(hash).ToLowerInvariant();
        if (image.Contains("@sha256:")) digest = image[(image.IndexOf('@') + 1)..];
        var size = 1_000_000L + (long)(BitConverter.ToUInt32(hash, 0) % 60_000_000);
        var lower = image.ToLowerInvariant();
        var shell = !(lower.Contains("distroless") || lower.Contains("scratch") || lower.Contains("pause"));
        return new ImageFacts(image, digest, size, shell);
    }
}

/// <summary>Image reference normalization as containerd reports names (docker.io/library/busybox:1.36).</summary>
public static class ImageNames
{
    public static string Normalize(string image)
    {
        var s = image;
        var firstSlash = s.IndexOf('/');
        var first = firstSlash < 0 ? "" : s[..firstSlash];
        var hasRegistry = firstSlash >= 0 && (first.Contains('.') || first.Contains(':') || first == "localhost");
        if (!hasRegistry) s = (firstSlash < 0 ? "docker.io/library/" : "docker.io/") + s;
        var lastSlash = s.LastIndexOf('/');
        if (!s.Contains('@') && s.IndexOf(':', lastSlash + 1) < 0) s += ":latest";
        return s;
    }

    public static string Repository(string normalized)
    {
        var at = normalized.IndexOf('@');
        if (at >= 0) normalized = normalized[..at];
        var lastSlash = normalized.LastIndexOf('/');
        var colon = normalized.IndexOf(':', lastSlash + 1);
        return colon < 0 ? normalized : normalized[..colon];
    }

    public static string Registry(string normalized) => normalized[..normalized.IndexOf('/')];
    public static string Path(string normalized) => Repository(normalized)[(normalized.IndexOf('/') + 1)..];

    public static string Tag(string normalized)
    {
        var at = normalized.IndexOf('@');
        if (at >= 0) return normalized[(at + 1)..];
        var lastSlash = normalized.LastIndexOf('/');
        var colon = normalized.IndexOf(':', lastSlash + 1);
        return colon < 0 ? "latest" : normalized[(colon + 1)..];
    }
}
