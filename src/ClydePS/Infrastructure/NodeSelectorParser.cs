using System.Collections;
using System.Management.Automation;
using ClydePS.Engine.Rollout;

namespace ClydePS.Infrastructure;

/// <summary>
/// The one parser of <c>-NodeSelector</c>: hashtables (<c>@{ pool = 'gpu' }</c>), <c>key=value</c> strings (also
/// comma-separated, <c>'pool=gpu,zone=a'</c>), or a mix; later entries win. Bad entries throw InvalidArgument
/// (ClydeInvalidNodeSelector) before anything is created.
/// </summary>
public static class NodeSelectorParser
{
    public static IReadOnlyDictionary<string, string>? Parse(object[]? values)
    {
        if (values is null || values.Length == 0)
        {
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (object? raw in values)
        {
            Add(result, raw is PSObject pso ? pso.BaseObject : raw);
        }

        return result;
    }

    private static void Add(Dictionary<string, string> result, object? value)
    {
        switch (value)
        {
            case null:
                return;
            case string s:
                foreach (string part in s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var pair = LabelRules.ParsePair(part);
                    result[pair.Key] = pair.Value;
                }

                return;
            case IDictionary d:
                foreach (DictionaryEntry e in d)
                {
                    string key = Text(e.Key);
                    var pair = LabelRules.CheckPair(key, Text(e.Value), $"{key}={Text(e.Value)}");
                    result[pair.Key] = pair.Value;
                }

                return;
            case IEnumerable many:
                foreach (object? item in many)
                {
                    Add(result, item is PSObject p ? p.BaseObject : item);
                }

                return;
            default:
                Add(result, LanguagePrimitives.ConvertTo<string>(value));
                return;
        }
    }

    private static string Text(object? o) => (o is PSObject p ? p.BaseObject : o)?.ToString()?.Trim() ?? "";
}

/// <summary>
/// The one parser of <c>-Toleration</c>: <c>key=value:Effect</c>, <c>key=value</c>, <c>key:Effect</c>, <c>key</c> or
/// <c>*</c> strings, hashtables with Key, Operator, Value, Effect (and TolerationSeconds is refused: seeds and daemon pods
/// are never evicted on a timer), or V1Toleration-shaped objects (e.g. from <c>kubectl get -o json | ConvertFrom-Json</c>).
/// Bad entries throw InvalidArgument (ClydeInvalidToleration) before anything is created.
/// </summary>
public static class TolerationParser
{
    public static IReadOnlyList<TolerationSpec>? Parse(object[]? values)
    {
        if (values is null || values.Length == 0)
        {
            return null;
        }

        var result = new List<TolerationSpec>();
        foreach (object? raw in values)
        {
            Add(result, raw);
        }

        return result;
    }

    private static void Add(List<TolerationSpec> result, object? raw)
    {
        object? value = raw is PSObject pso ? pso.BaseObject : raw;
        TolerationSpec spec;
        switch (value)
        {
            case null:
                return;
            case string s:
                spec = TolerationSpec.Parse(s);
                break;
            case IDictionary d:
                spec = FromProperties(name => d.Contains(name) ? d[name] : d.Keys.Cast<object>().Where(k => string.Equals(k?.ToString(), name, StringComparison.OrdinalIgnoreCase))
                    .Select(k => d[k]).FirstOrDefault(), DescribeDictionary(d));
                break;
            case IEnumerable many:
                foreach (object? item in many)
                {
                    Add(result, item);
                }

                return;
            default:
                var ps = raw as PSObject ?? PSObject.AsPSObject(value);
                spec = FromProperties(name => ps.Properties[name]?.Value, ps.ToString());
                break;
        }

        if (!result.Contains(spec))
        {
            result.Add(spec);
        }
    }

    private static TolerationSpec FromProperties(Func<string, object?> get, string display)
    {
        string? Text(params string[] names) => names.Select(get).Select(v => (v is PSObject p ? p.BaseObject : v)?.ToString()).FirstOrDefault(v => v is not null);
        if (Text("TolerationSeconds") is { Length: > 0 })
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, RolloutErrorIds.InvalidToleration,
                $"Toleration '{display}' is not valid: TolerationSeconds is not supported (pods ClydePS creates must not be evicted on a timer).", display);
        }

        return TolerationSpec.Create(Text("Key"), Text("Operator", "OperatorProperty"), Text("Value"), Text("Effect"), display);
    }

    private static string DescribeDictionary(IDictionary d) =>
        "@{" + string.Join("; ", d.Keys.Cast<object>().Select(k => $"{k}={d[k]}")) + "}";
}
