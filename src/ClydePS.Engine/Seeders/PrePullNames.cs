using System.Security.Cryptography;
using System.Text;

namespace ClydePS.Engine.Seeders;

/// <summary>
/// Names of pre-pull pods: stable (the same image, digest and node always give the same name, so a re-run finds the
/// holder it left) and valid for any image reference and node name (lowercase letters, digits and '-', at most 63
/// characters, so they also make valid host names). <c>clydeps-prepull-&lt;10 hex of sha256(reference@digest)&gt;-&lt;node&gt;</c>;
/// a node name with dots or too long for 63 characters is replaced by 10 hex of its own sha256.
/// </summary>
public static class PrePullNames
{
    public const string Prefix = "clydeps-prepull-";
    public const int MaxLength = 63;

    /// <summary>10 hex characters of sha256 over the text.</summary>
    public static string Hash(string text) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text ?? "")))[..10].ToLowerInvariant();

    /// <summary>The image's key in names: a hash of the reference and the digest it resolved to.</summary>
    public static string ImageKey(string reference, string digest) => Hash(reference + "@" + digest);

    public static string PodName(string imageKey, string node)
    {
        ArgumentException.ThrowIfNullOrEmpty(imageKey);
        ArgumentException.ThrowIfNullOrEmpty(node);
        var head = Prefix + imageKey + "-";
        var plain = node.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-') && node[0] != '-' && node[^1] != '-';
        return plain && head.Length + node.Length <= MaxLength ? head + node : head + Hash("node:" + node);
    }
}
