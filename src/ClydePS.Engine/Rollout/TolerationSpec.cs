using k8s.Models;

namespace ClydePS.Engine.Rollout;

/// <summary>
/// A toleration in plain terms (the cmdlets never see client model types). <see cref="Operator"/> is
/// <c>Equal</c> or <c>Exists</c>; <see cref="Effect"/> is empty (every effect), <c>NoSchedule</c>,
/// <c>PreferNoSchedule</c> or <c>NoExecute</c>.
/// </summary>
public sealed record TolerationSpec(string? Key, string Operator, string? Value, string? Effect)
{
    private static readonly string[] Effects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

    /// <summary>
    /// Parses the <c>-Toleration</c> string forms: <c>key=value:Effect</c>, <c>key=value</c>, <c>key:Effect</c>,
    /// <c>key</c> (Exists, every effect), and <c>*</c> or an empty key with <c>Exists</c> (tolerate everything).
    /// </summary>
    /// <exception cref="ClydeException">InvalidArgument (ClydeInvalidToleration) for anything else.</exception>
    public static TolerationSpec Parse(string text)
    {
        string s = (text ?? "").Trim();
        if (s.Length == 0)
        {
            throw Invalid(text, "it is empty");
        }

        string? effect = null;
        int colon = s.LastIndexOf(':');
        if (colon >= 0)
        {
            effect = NormalizeEffect(s[(colon + 1)..], text);
            s = s[..colon];
        }

        if (s == "*")
        {
            return new TolerationSpec(null, "Exists", null, effect);
        }

        int eq = s.IndexOf('=');
        string key = eq >= 0 ? s[..eq] : s;
        string? value = eq >= 0 ? s[(eq + 1)..] : null;
        ValidateKey(key, text);
        return value is null
            ? new TolerationSpec(key, "Exists", null, effect)
            : new TolerationSpec(key, "Equal", value, effect);
    }

    /// <summary>Checks a toleration built from parts (a hashtable or a V1Toleration-shaped object) and normalises it.</summary>
    public static TolerationSpec Create(string? key, string? op, string? value, string? effect, object? source = null)
    {
        string display = source?.ToString() ?? $"{key}={value}:{effect}";
        string oper = string.IsNullOrEmpty(op) ? (string.IsNullOrEmpty(value) && !string.IsNullOrEmpty(key) ? "Exists" : "Equal") : op;
        oper = oper.Equals("Exists", StringComparison.OrdinalIgnoreCase) ? "Exists"
            : oper.Equals("Equal", StringComparison.OrdinalIgnoreCase) ? "Equal"
            : throw Invalid(display, $"the operator '{op}' is neither Equal nor Exists");
        string? eff = string.IsNullOrEmpty(effect) ? null : NormalizeEffect(effect, display);
        if (string.IsNullOrEmpty(key))
        {
            if (oper != "Exists")
            {
                throw Invalid(display, "a toleration without a key must use the Exists operator");
            }

            return new TolerationSpec(null, "Exists", null, eff);
        }

        ValidateKey(key, display);
        if (oper == "Exists" && !string.IsNullOrEmpty(value))
        {
            throw Invalid(display, "a toleration with the Exists operator has no value");
        }

        return new TolerationSpec(key, oper, oper == "Exists" ? null : value ?? "", eff);
    }

    public V1Toleration ToV1() => new()
    {
        Key = Key,
        OperatorProperty = Operator,
        Value = Value,
        Effect = Effect,
    };

    public static TolerationSpec FromV1(V1Toleration t) =>
        new(string.IsNullOrEmpty(t.Key) ? null : t.Key, string.IsNullOrEmpty(t.OperatorProperty) ? "Equal" : t.OperatorProperty,
            string.IsNullOrEmpty(t.Value) ? null : t.Value, string.IsNullOrEmpty(t.Effect) ? null : t.Effect);

    /// <summary>The same toleration as the seeding engine's eligibility reads it.</summary>
    public ClydePS.Engine.Seeding.TolerationFact ToFact() => new(Key, Operator, Value, Effect);

    /// <summary>True when this toleration tolerates a taint (the scheduler's rule, as <see cref="ClydePS.Engine.Seeding.Eligibility.Tolerates"/> decides it).</summary>
    public bool Tolerates(string key, string? value, string effect) =>
        ClydePS.Engine.Seeding.Eligibility.Tolerates(ToFact(), new ClydePS.Engine.Seeding.TaintFact(key, value, effect));

    public override string ToString() =>
        (Key ?? "*") + (Operator == "Equal" ? "=" + Value : "") + (Effect is null ? "" : ":" + Effect);

    private static string NormalizeEffect(string effect, object? source) =>
        Effects.FirstOrDefault(e => e.Equals(effect.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw Invalid(source, $"the effect '{effect}' is not NoSchedule, PreferNoSchedule or NoExecute");

    private static void ValidateKey(string key, object? source)
    {
        if (!LabelRules.IsQualifiedName(key))
        {
            throw Invalid(source, $"the key '{key}' is not a valid label key");
        }
    }

    private static ClydeException Invalid(object? source, string why) =>
        new(ClydeErrorKind.InvalidArgument, RolloutErrorIds.InvalidToleration,
            $"Toleration '{source}' is not valid: {why}. Use key=value:Effect, key:Effect, key, or a hashtable with Key, Operator, Value and Effect.",
            source);
}

/// <summary>Kubernetes label key and value rules (qualified names), as the API server validates them.</summary>
public static class LabelRules
{
    private static readonly System.Text.RegularExpressions.Regex NamePart = new("^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$");
    private static readonly System.Text.RegularExpressions.Regex Dns1123Subdomain = new("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");

    public static bool IsQualifiedName(string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return false;
        }

        int slash = key.IndexOf('/');
        string name = slash >= 0 ? key[(slash + 1)..] : key;
        if (slash >= 0)
        {
            string prefix = key[..slash];
            if (prefix.Length == 0 || prefix.Length > 253 || !Dns1123Subdomain.IsMatch(prefix))
            {
                return false;
            }
        }

        return name.Length is > 0 and <= 63 && NamePart.IsMatch(name);
    }

    public static bool IsValue(string value) => value.Length == 0 || (value.Length <= 63 && NamePart.IsMatch(value));

    /// <summary>A DaemonSet name: a DNS-1123 subdomain; ClydePS also uses it as a label value, so at most 63 characters.</summary>
    public static bool IsWorkloadName(string name) => name.Length is > 0 and <= 63 && Dns1123Subdomain.IsMatch(name);

    /// <summary>Parses <c>key=value</c> (a node selector or label entry).</summary>
    /// <exception cref="ClydeException">InvalidArgument (ClydeInvalidNodeSelector).</exception>
    public static KeyValuePair<string, string> ParsePair(string text)
    {
        string s = (text ?? "").Trim();
        int eq = s.IndexOf('=');
        if (eq <= 0)
        {
            throw InvalidSelector(text, "it is not key=value");
        }

        return CheckPair(s[..eq].Trim(), s[(eq + 1)..].Trim(), text);
    }

    public static KeyValuePair<string, string> CheckPair(string key, string value, object? source)
    {
        if (!IsQualifiedName(key))
        {
            throw InvalidSelector(source, $"the key '{key}' is not a valid label key");
        }

        if (!IsValue(value))
        {
            throw InvalidSelector(source, $"the value '{value}' is not a valid label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)");
        }

        return new(key, value);
    }

    private static ClydeException InvalidSelector(object? source, string why) =>
        new(ClydeErrorKind.InvalidArgument, RolloutErrorIds.InvalidNodeSelector,
            $"Node selector '{source}' is not valid: {why}. Use a hashtable (@{{ pool = 'gpu' }}) or key=value strings.", source);
}
