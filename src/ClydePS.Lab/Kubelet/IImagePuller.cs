namespace ClydePS.Lab.Kubelet;

/// <summary>
/// How a simulated kubelet gets an image onto its node. The transfer-model implementation pulls each
/// missing layer over the modelled network (registry egress, NAT, node bandwidth, P2P mirrors) in Lab time.
/// </summary>
public interface IImagePuller
{
    /// <summary>True when every layer of the image is already on the node (no pull, no Pulling event).</summary>
    bool IsPresent(string nodeName, string image);

    /// <summary>
    /// Pulls the image onto the node, completing in Lab time when the last layer arrives. Reports progress
    /// (bytes done, bytes total) when asked. Throws <see cref="ImagePullException"/> when the pull fails.
    /// </summary>
    Task<PulledImage> PullAsync(string nodeName, string image, IProgress<(long Done, long Total)>? progress, CancellationToken cancellationToken);

    /// <summary>Facts about an image without pulling it (shell or not, digest); null for a missing image.</summary>
    ImageFacts? Describe(string image);
}

/// <summary>A completed pull: the reference, the <c>imageID</c> kubelet reports (<c>repo@sha256:...</c>) and the size.</summary>
public sealed record PulledImage(string Image, string ImageId, long SizeBytes, bool HasShell, long BytesFromRegistry = 0, long BytesFromPeers = 0);

public sealed record ImageFacts(string Image, string Digest, long SizeBytes, bool HasShell);

/// <summary>A failed pull; <see cref="Message"/> is what kubelet would put in the Failed event and ErrImagePull.</summary>
public sealed class ImagePullException(string message, bool notFound = false) : Exception(message)
{
    public bool NotFound { get; } = notFound;
}
