using System.Globalization;
using System.Management.Automation;
using ClydePS.Engine.Probe;

namespace ClydePS.Infrastructure;

/// <summary>
/// The registry bandwidth a ClydeProbeResult (Measure-ClydeRegistryProbe) measured, as the cmdlets that take one read it:
/// in-cluster probers sample at the same time, so the registry delivered their sum at once.
/// </summary>
internal static class ProbeBandwidth
{
    /// <summary>
    /// The registry's bandwidth in MB/s from <paramref name="value"/> (a ClydeProbeResult, possibly wrapped in a PSObject),
    /// with a sentence saying how it was derived; throws a <see cref="ClydeException"/> with <paramref name="errorId"/> when
    /// the value is not a probe result or measured nothing.
    /// </summary>
    public static (double MBps, string Explanation) RegistryMBps(object value, string parameterName, string errorId, string alternative)
    {
        object inner = value is PSObject pso ? pso.BaseObject : value;
        if (inner is not ClydeProbeResult probe)
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, errorId,
                $"-{parameterName} takes a ClydeProbeResult object (from Measure-ClydeRegistryProbe), not '{inner}'.", inner);
        }

        if (!(probe.BandwidthMBps > 0) || !double.IsFinite(probe.BandwidthMBps))
        {
            throw new ClydeException(ClydeErrorKind.InvalidArgument, errorId,
                $"The probe of {probe.Image} measured no bandwidth ({probe.SuccessfulSamples} successful sample(s)); give {alternative} instead.", probe);
        }

        int probers = probe.Mode == ProbeMode.InCluster ? Math.Max(1, probe.Probers.Length) : 1;
        double bandwidth = probe.BandwidthMBps * probers;
        return (bandwidth, string.Create(CultureInfo.InvariantCulture,
            $"Registry bandwidth from the probe of {probe.Image}: {probe.BandwidthMBps:0.##} MB/s x {probers} concurrent prober(s) = {bandwidth:0.##} MB/s."));
    }
}
