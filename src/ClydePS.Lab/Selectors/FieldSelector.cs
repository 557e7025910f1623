using System.Text;
using ClydePS.Lab.Store;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Selectors;

/// <summary>A field selector (<c>a=b,c!=d</c>, with <c>\</c> escapes) over a resource's supported field labels.</summary>
public sealed class FieldSelector
{
    sealed record Term(string Field, bool Equal, string Value);
    readonly List<Term> _terms;
    FieldSelector(List<Term> terms) => _terms = terms;

    public static readonly FieldSelector Everything = new([]);
    public bool IsEmpty => _terms.Count == 0;

    public static FieldSelector Parse(string? text, ResourceDefinition def)
    {
        if (string.IsNullOrEmpty(text)) return Everything;
        var terms = new List<Term>();
        foreach (var part in SplitUnescaped(text, ','))
        {
            if (part.Length == 0) continue;
            string field, value;
            bool equal;
            int idx;
            if ((idx = IndexUnescaped(part, "!=")) >= 0) { field = part[..idx]; value = part[(idx + 2)..]; equal = false; }
            else if ((idx = IndexUnescaped(part, "==")) >= 0) { field = part[..idx]; value = part[(idx + 2)..]; equal = true; }
            else if ((idx = IndexUnescaped(part, "=")) >= 0) { field = part[..idx]; value = part[(idx + 1)..]; equal = true; }
            else throw ApiException.BadRequest($"invalid selector: '{text}'; can't understand '{part}'");
            field = Unescape(field.Trim());
            value = Unescape(value.Trim());
            if (field != "metadata.name" && field != "metadata.namespace" && !def.Fields.ContainsKey(field))
                throw ApiException.BadRequest($"field label not supported: {field}");
            terms.Add(new Term(field, equal, value));
        }
        return new FieldSelector(terms);
    }

    public bool Matches(IKubernetesObject<V1ObjectMeta> obj, ResourceDefinition def)
    {
        foreach (var t in _terms)
        {
            var actual = t.Field switch
            {
                "metadata.name" => obj.Metadata.Name ?? "",
                "metadata.namespace" => obj.Metadata.NamespaceProperty ?? "",
                _ => def.Fields[t.Field](obj),
            };
            if ((actual == t.Value) != t.Equal) return false;
        }
        return true;
    }

    static IEnumerable<string> SplitUnescaped(string s, char sep)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length) { sb.Append(s[i]).Append(s[i + 1]); i++; continue; }
            if (s[i] == sep) { yield return sb.ToString(); sb.Clear(); continue; }
            sb.Append(s[i]);
        }
        yield return sb.ToString();
    }

    static int IndexUnescaped(string s, string token)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\') { i++; continue; }
            if (string.CompareOrdinal(s, i, token, 0, token.Length) == 0) return i;
        }
        return -1;
    }

    static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length) { sb.Append(s[i + 1]); i++; }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }
}
