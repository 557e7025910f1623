namespace ClydePS.Engine.Registry;

/// <summary>
/// One <c>WWW-Authenticate</c> challenge: its scheme (Bearer, Basic) and parameters
/// (<c>realm</c>, <c>service</c>, <c>scope</c>, <c>error</c>). Parsed per RFC 7235: quoted strings with
/// backslash escapes, commas inside quotes, case-insensitive scheme and parameter names.
/// </summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public string? Realm => Parameters.GetValueOrDefault("realm");

    public string? Service => Parameters.GetValueOrDefault("service");

    public string? Scope => Parameters.GetValueOrDefault("scope");

    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);

    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses every challenge of one or more header values.</summary>
    public static IReadOnlyList<AuthChallenge> Parse(IEnumerable<string> headerValues)
    {
        var result = new List<AuthChallenge>();
        foreach (var value in headerValues)
        {
            ParseInto(value, result);
        }
        return result;
    }

    private static void ParseInto(string header, List<AuthChallenge> result)
    {
        var i = 0;
        string? scheme = null;
        Dictionary<string, string>? parameters = null;
        while (i < header.Length)
        {
            SkipSeparators(header, ref i);
            var tokenStart = i;
            while (i < header.Length && header[i] is not (' ' or '=' or ',' or '\t'))
            {
                i++;
            }
            var token = header[tokenStart..i];
            if (token.Length == 0)
            {
                break;
            }
            var j = i;
            while (j < header.Length && header[j] is ' ' or '\t')
            {
                j++;
            }
            if (j < header.Length && header[j] == '=' && scheme is not null)
            {
                i = j + 1;
                while (i < header.Length && header[i] is ' ' or '\t')
                {
                    i++;
                }
                string value;
                if (i < header.Length && header[i] == '"')
                {
                    i++;
                    var sb = new System.Text.StringBuilder();
                    while (i < header.Length && header[i] != '"')
                    {
                        if (header[i] == '\\' && i + 1 < header.Length)
                        {
                            i++;
                        }
                        sb.Append(header[i]);
                        i++;
                    }
                    i++;
                    value = sb.ToString();
                }
                else
                {
                    var start = i;
                    while (i < header.Length && header[i] is not (',' or ' ' or '\t'))
                    {
                        i++;
                    }
                    value = header[start..i];
                }
                parameters![token.ToLowerInvariant()] = value;
            }
            else
            {
                if (scheme is not null)
                {
                    result.Add(new AuthChallenge(scheme, parameters!));
                }
                scheme = token;
                parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            }
        }
        if (scheme is not null)
        {
            result.Add(new AuthChallenge(scheme, parameters!));
        }
    }

    private static void SkipSeparators(string s, ref int i)
    {
        while (i < s.Length && s[i] is ' ' or ',' or '\t')
        {
            i++;
        }
    }
}
