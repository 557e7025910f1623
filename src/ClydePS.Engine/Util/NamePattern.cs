using System.Text.RegularExpressions;

namespace ClydePS.Engine.Util;

/// <summary>
/// A name or a PowerShell-style wildcard (<c>*</c>, <c>?</c>, <c>[a-c]</c>), case-insensitive like
/// PowerShell's. The engine has no PowerShell reference, so it cannot use WildcardPattern.
/// </summary>
public sealed class NamePattern
{
    private readonly Regex? regex;
    private readonly string literal;

    public NamePattern(string pattern)
    {
        literal = pattern;
        if (HasWildcard(pattern))
        {
            regex = new Regex("^" + Translate(pattern) + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        }
    }

    public bool IsWildcard => regex != null;

    public string Text => literal;

    public bool IsMatch(string name) =>
        regex?.IsMatch(name) ?? string.Equals(name, literal, StringComparison.OrdinalIgnoreCase);

    public static bool HasWildcard(string pattern) => pattern.IndexOfAny(['*', '?', '[']) >= 0;

    private static string Translate(string pattern)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            switch (c)
            {
                case '*':
                    sb.Append(".*");
                    break;
                case '?':
                    sb.Append('.');
                    break;
                case '`' when i + 1 < pattern.Length:
                    sb.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                case '[':
                    int close = pattern.IndexOf(']', i + 1);
                    if (close > i + 1)
                    {
                        sb.Append('[').Append(pattern[(i + 1)..close].Replace("\\", "\\\\")).Append(']');
                        i = close;
                    }
                    else
                    {
                        sb.Append("\\[");
                    }

                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return sb.ToString();
    }
}
