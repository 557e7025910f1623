using System.Management.Automation;
using ClydePS.Engine.Probe;
using ClydePS.Engine.Registry;
using ClydePS.Infrastructure;

namespace ClydePS.Commands;

/// <summary>Measures bandwidth, jitter and drop rate between a prober and the registry serving an image's largest layer.</summary>
[Cmdlet(VerbsDiagnostic.Measure, "ClydeRegistryProbe", DefaultParameterSetName = "Local")]
[OutputType(typeof(ClydeProbeResult))]
[OutputType(typeof(ClydeProbeSample))]
public sealed class MeasureClydeRegistryProbeCommand : ClydeRegistryCmdletBase
{
    private const int ProgressId = 7301;

    /// <summary>An image reference, or a ClydeImage from Get-ClydeImage (then it is not resolved again).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public object Image { get; set; } = null!;

    [Parameter(Mandatory = true, ParameterSetName = "Local")]
    public SwitchParameter Local { get; set; }

    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long SampleBytes { get; set; } = 8 * 1024 * 1024;

    [Parameter]
    [Duration]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    [Parameter]
    [Duration]
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(10);

    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    public double BandwidthThreshold { get; set; } = 50;

    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    public double JitterThreshold { get; set; } = 20;

    [Parameter]
    [ValidateRange(0, 100)]
    public double DropThreshold { get; set; } = 1;

    [Parameter]
    public SwitchParameter Raw { get; set; }

    protected override void ProcessRecord() => Guard(() =>
    {
        if (Interval <= TimeSpan.Zero || Duration < Interval)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, "ClydeInvalidProbeTiming",
                $"-Interval ({Interval}) must be positive and no longer than -Duration ({Duration}).", Interval);
        }

        object value = Image is PSObject pso ? pso.BaseObject : Image;
        ClydeImage? resolved = value as ClydeImage;
        ImageReference reference = ImageReference.Parse(resolved?.Image ?? value.ToString());
        Platform platform = TargetPlatform;
        RegistryClient client = Registry;
        if (resolved == null)
        {
            resolved = Run(ct => ImageService.GetImageAsync(client, reference, platform, value.ToString(), ct));
        }

        ClydeImageLayer blob = resolved.LargestLayer ?? throw new ClydeException(ClydeErrorKind.Invalid, "ClydeImageHasNoLayers",
            $"Image {resolved.Image} has no layers to probe.", resolved.Image);
        var options = new ProbeOptions
        {
            SampleBytes = SampleBytes,
            Interval = Interval,
            Duration = Duration,
            Thresholds = new HealthThresholds(BandwidthThreshold, JitterThreshold, DropThreshold),
        };
        int expected = (int)Math.Ceiling(Duration / Interval);
        WriteVerbose($"Probing {blob.Digest} ({blob.SizeBytes} bytes) of {resolved.Image}: {expected} samples of up to {SampleBytes} bytes, one every {Interval.TotalSeconds:0.###} s.");

        DateTimeOffset started = DateTimeOffset.UtcNow;
        var prober = new LocalProber(client);
        int taken = 0;
        IReadOnlyList<ClydeProbeSample> samples = Run(ct => prober.RunAsync(reference, blob.Digest, options, sample =>
        {
            int n = Interlocked.Increment(ref taken);
            Post(() =>
            {
                WriteVerbose($"Sample {n}: HTTP {sample.StatusCode}, {sample.Bytes} bytes in {sample.Seconds:0.###} s, TTFB {sample.TimeToFirstByteMs:0.#} ms{(sample.Success ? "" : ", failed: " + sample.Error)}.");
                WriteProgress(new ProgressRecord(ProgressId, "Probing the registry", $"Sample {n} of {expected}")
                {
                    PercentComplete = Math.Min(100, n * 100 / Math.Max(1, expected)),
                });
            });
        }, ct));
        WriteProgress(new ProgressRecord(ProgressId, "Probing the registry", "Done") { RecordType = ProgressRecordType.Completed });

        if (Raw)
        {
            foreach (ClydeProbeSample sample in samples)
            {
                WriteObject(sample);
            }

            return;
        }

        ClydeProbeResult result = LocalProber.Summarize(resolved, blob, ProbeMode.Local, options, started, samples);
        WriteVerbose(result.Reason);
        WriteObject(result);
    });
}
