using System.Management.Automation;
using ClydePS.Engine.Registry;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>Resolves image references at their registries: digests, platforms, layer sizes.</summary>
[Cmdlet(VerbsCommon.Get, "ClydeImage")]
[OutputType(typeof(ClydeImage))]
public sealed class GetClydeImageCommand : ClydeRegistryCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Image { get; set; } = [];

    protected override void BeginProcessing() => Guard(() => _ = TargetPlatform);

    protected override void ProcessRecord()
    {
        // Every reference is checked before any request, so bad input never reaches a registry.
        var references = new List<(string Text, ImageReference Reference)>();
        foreach (string text in Image)
        {
            try
            {
                references.Add((text, ImageReference.Parse(text)));
            }
            catch (ClydeException ex)
            {
                WriteClydeError(ex);
            }
        }

        if (references.Count == 0)
        {
            return;
        }

        Guard(() =>
        {
            RegistryClient client = Registry;
            Platform platform = TargetPlatform;
            foreach ((string text, ImageReference reference) in references)
            {
                WriteVerbose($"Resolving {reference} for {platform}.");
                try
                {
                    WriteObject(Run(ct => ImageService.GetImageAsync(client, reference, platform, text, ct)));
                }
                catch (ClydeException ex) when (ex.ErrorId is RegistryErrorIds.ImageNotFound or RegistryErrorIds.PlatformNotFound
                                                    or RegistryErrorIds.UnsupportedManifest)
                {
                    // One image of many: report it and go on with the others.
                    WriteClydeError(ex);
                }
            }
        });
    }
}
