using System.Text.RegularExpressions;
using ClydePS.Lab.Store;
using k8s;
using k8s.Models;

namespace ClydePS.Lab.Resources;

/// <summary>The real apimachinery validation messages used by the kinds served.</summary>
public static partial class Validation
{
    public const string Dns1123SubdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    public const string Dns1123LabelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    public const string LabelValueMessage =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();
    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();
    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();
    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex QualifiedNamePart();

    public static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    public static StatusCause InvalidValue(string field, string value, string detail) =>
        new("FieldValueInvalid", $"Invalid value: {Quote(value)}: {detail}", field);
    public static StatusCause Required(string field, string detail = "") =>
        new("FieldValueRequired", detail.Length == 0 ? "Required value" : $"Required value: {detail}", field);
    public static StatusCause Duplicate(string field, string value) =>
        new("FieldValueDuplicate", $"Duplicate value: {Quote(value)}", field);
    public static StatusCause NotSupported(string field, string value, params string[] supported) =>
        new("FieldValueNotSupported", $"Unsupported value: {Quote(value)}: supported values: {string.Join(", ", supported.Select(Quote))}", field);
    public static StatusCause Forbidden(string field, string detail) => new("FieldValueForbidden", $"Forbidden: {detail}", field);

    public static string? SubdomainError(string name) =>
        name.Length > 253 ? "must be no more than 253 characters" : Subdomain().IsMatch(name) ? null : Dns1123SubdomainMessage;
    public static string? LabelError(string name) =>
        name.Length > 63 ? "must be no more than 63 characters" : Label().IsMatch(name) ? null : Dns1123LabelMessage;

    /// <summary>ValidateObjectMeta: name (with the kind's name rule), namespace, labels.</summary>
    public static List<StatusCause> ObjectMeta(IKubernetesObject<V1ObjectMeta> obj, bool namespaced, Func<string, string?> nameRule)
    {
        var causes = new List<StatusCause>();
        var m = obj.Metadata;
        if (string.IsNullOrEmpty(m.Name))
            causes.Add(Required("metadata.name", "name or generateName is required"));
        else if (nameRule(m.Name) is { } err)
            causes.Add(InvalidValue("metadata.name", m.Name, err));
        if (namespaced && string.IsNullOrEmpty(m.NamespaceProperty))
            causes.Add(Required("metadata.namespace"));
        if (m.Labels is not null)
        {
            foreach (var (k, v) in m.Labels)
            {
                if (QualifiedNameError(k) is { } ke) causes.Add(InvalidValue("metadata.labels", k, ke));
                if (v.Length > 63) causes.Add(InvalidValue("metadata.labels", v, "must be no more than 63 characters"));
                else if (!LabelValue().IsMatch(v)) causes.Add(InvalidValue("metadata.labels", v, LabelValueMessage));
            }
        }
        return causes;
    }

    public static string? QualifiedNameError(string key)
    {
        var parts = key.Split('/');
        string name;
        if (parts.Length == 1) name = parts[0];
        else if (parts.Length == 2)
        {
            if (parts[0].Length == 0) return "prefix part must be non-empty";
            if (SubdomainError(parts[0]) is { } pe) return "prefix part " + pe;
            name = parts[1];
        }
        else return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
        if (name.Length == 0) return "name part must be non-empty";
        if (name.Length > 63) return "name part must be no more than 63 characters";
        if (!QualifiedNamePart().IsMatch(name))
            return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
        return null;
    }
}
