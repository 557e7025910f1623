using ClydePS.Engine.Rollout;

namespace ClydePS.Engine.Seeders;

/// <summary>The label that marks a seeder node (default <c>p2p-seeder=true</c>, the original's).</summary>
public sealed record SeederLabel(string Key, string Value)
{
    public static SeederLabel Default { get; } = new("p2p-seeder", "true");

    /// <summary>Parses <c>key=value</c>; a bare <c>key</c> means <c>key=true</c>.</summary>
    /// <exception cref="ClydeException">InvalidArgument (ClydeInvalidSeederLabel).</exception>
    public static SeederLabel Parse(string? text)
    {
        string s = (text ?? "").Trim();
        int eq = s.IndexOf('=');
        string key = (eq >= 0 ? s[..eq] : s).Trim();
        string value = eq >= 0 ? s[(eq + 1)..].Trim() : "true";
        if (!LabelRules.IsQualifiedName(key))
        {
            throw Invalid(text, $"the key '{key}' is not a valid label key");
        }

        if (value.Length == 0 || !LabelRules.IsValue(value))
        {
            throw Invalid(text, $"the value '{value}' is not a valid, non-empty label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)");
        }

        return new SeederLabel(key, value);
    }

    /// <summary>True when the labels carry this key with this value.</summary>
    public bool IsOn(IReadOnlyDictionary<string, string> labels) =>
        labels.TryGetValue(Key, out string? v) && v == Value;

    /// <summary>The label selector that lists the labelled nodes.</summary>
    public string Selector => $"{Key}={Value}";

    public override string ToString() => $"{Key}={Value}";

    private static ClydeException Invalid(string? text, string why) =>
        new(ClydeErrorKind.InvalidArgument, SeederErrorIds.InvalidLabel,
            $"Seeder label '{text}' is not valid: {why}. Use key=value, for example p2p-seeder=true.", text);
}
