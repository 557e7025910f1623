using System.Management.Automation;
using ClydePS.Engine.Flex;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>Gets FlexDaemonsetTemplates, all or by name (wildcards allowed).</summary>
[Cmdlet(VerbsCommon.Get, "ClydeFlexTemplate")]
[OutputType(typeof(ClydeFlexTemplate))]
public sealed class GetClydeFlexTemplateCommand : ClydeClusterCmdletBase
{
    /// <summary>Template names; wildcards allowed. Default: every template.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    protected override void ProcessRecord() => Guard(() =>
    {
        var gateway = Gateway;
        var invalid = new List<ClydeException>();
        IReadOnlyList<ClydeFlexTemplate> all = Run(ct => FlexTemplates.ListAsync(gateway, ct, e => { lock (invalid) { invalid.Add(e); } }));
        foreach (ClydeException e in invalid)
        {
            WriteClydeError(e);
        }

        if (Name is null)
        {
            WriteObject(all, enumerateCollection: true);
            return;
        }

        foreach (string pattern in Name)
        {
            var wildcard = WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase);
            var matches = all.Where(t => wildcard.IsMatch(t.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                WriteClydeError(new ClydeException(ClydeErrorKind.NotFound, FlexErrorIds.TemplateNotFound,
                    $"FlexDaemonsetTemplate '{pattern}' was not found.", pattern));
            }

            WriteObject(matches, enumerateCollection: true);
        }
    });
}
