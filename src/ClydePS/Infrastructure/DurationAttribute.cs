using System.Management.Automation;
using ClydePS.Engine.Util;

namespace ClydePS.Infrastructure;

/// <summary>
/// Turns a duration parameter's argument (TimeSpan, seconds, or '90s' / '5m' / '1h') into a TimeSpan,
/// so every duration parameter of ClydePS accepts the same forms.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class DurationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (DurationParser.TryParse(value, out TimeSpan duration))
        {
            return duration;
        }

        throw new ArgumentTransformationMetadataException(
            $"'{value}' is not a valid duration. Use a TimeSpan, a number of seconds, or a string such as 90s, 5m or 1h30m.");
    }
}
