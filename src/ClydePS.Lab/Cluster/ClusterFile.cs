using System.Text.Json;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace ClydePS.Lab.Cluster;

/// <summary>Reads a cluster file: JSON for *.json, else YAML. Unknown fields are errors.</summary>
public static class ClusterFile
{
    public static ClusterSpec Load(string path)
    {
        var text = File.ReadAllText(path);
        return Path.GetExtension(path).Equals(".json", StringComparison.OrdinalIgnoreCase) ? ParseJson(text) : ParseYaml(text);
    }

    public static ClusterSpec ParseJson(string text)
    {
        try
        {
            return JsonSerializer.Deserialize<ClusterSpec>(text, new JsonSerializerOptions
            {
                PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
                PropertyNameCaseInsensitive = true,
                UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
                ReadCommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
            }) ?? new ClusterSpec();
        }
        catch (JsonException e)
        {
            throw new LabOptionsException($"cluster file: {e.Message}");
        }
    }

    public static ClusterSpec ParseYaml(string text)
    {
        try
        {
            var d = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build();
            return d.Deserialize<ClusterSpec?>(text) ?? new ClusterSpec();
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new LabOptionsException($"cluster file: {e.Message}{(e.InnerException is null ? "" : ": " + e.InnerException.Message)}");
        }
    }
}
