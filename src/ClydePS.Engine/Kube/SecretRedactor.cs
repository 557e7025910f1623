using System.Text.RegularExpressions;

namespace ClydePS.Engine.Kube;

/// <summary>
/// Removes secrets from text that reaches a message: the exact credential values of the loaded kubeconfig
/// (token, password, client key) and anything shaped like a credential (bearer tokens, JWTs, PEM private keys,
/// user:password@ in URLs, token=/password= pairs). Every message built from outside text goes through it.
/// </summary>
public sealed class SecretRedactor
{
    public const string Mask = "***";

    // A group named "keep" survives (the key or scheme), the rest of the match becomes the mask.
    private static readonly Regex[] Patterns =
    [
        new(@"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)", RegexOptions.Compiled),
        new(@"(?i)(?<keep>\bauthorization\s*[:=]\s*)(?:(?:bearer|basic)\s+)?[^\s,;""']+", RegexOptions.Compiled),
        new(@"(?i)(?<keep>\b(?:bearer|basic)\s+)[A-Za-z0-9\-._~+/]+=*", RegexOptions.Compiled),
        new(@"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*", RegexOptions.Compiled),
        new(@"(?i)(?<keep>\b(?:token|access[-_]?token|id[-_]?token|refresh[-_]?token|password|passwd|secret|client[-_]?key[-_]?data|client[-_]?secret)""?\s*[:=]\s*""?)[^\s,;""'&}]+", RegexOptions.Compiled),
        new(@"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)", RegexOptions.Compiled),
    ];

    private readonly List<string> _known = [];
    private readonly object _gate = new();

    /// <summary>A redactor that only knows the generic patterns.</summary>
    public static SecretRedactor Default { get; } = new();

    /// <summary>Remembers an exact secret value (tokens, passwords, key data) so it is masked wherever it shows up.</summary>
    public void AddSecret(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length < 4)
        {
            return;
        }
        lock (_gate)
        {
            if (!_known.Contains(value))
            {
                _known.Add(value);
            }
        }
    }

    public string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }
        var result = text;
        lock (_gate)
        {
            foreach (var secret in _known)
            {
                result = result.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }
        foreach (var pattern in Patterns)
        {
            result = pattern.Replace(result, m => (m.Groups["keep"].Success ? m.Groups["keep"].Value : string.Empty) + Mask);
        }
        return result;
    }
}
