using System.Globalization;
using System.Text.RegularExpressions;

namespace ClydePS.Engine.Util;

/// <summary>
/// The one parser for every duration parameter: a TimeSpan, a number of seconds, or a string such as
/// <c>90s</c>, <c>5m</c>, <c>1h30m</c>, <c>250ms</c>, <c>2.5</c> (seconds) or <c>00:01:30</c>.
/// </summary>
public static partial class DurationParser
{
    [GeneratedRegex(@"^\s*(?:(?<h>\d+(?:\.\d+)?)h)?\s*(?:(?<m>\d+(?:\.\d+)?)m(?!s))?\s*(?:(?<s>\d+(?:\.\d+)?)s)?\s*(?:(?<ms>\d+(?:\.\d+)?)ms)?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex UnitPattern();

    public static bool TryParse(object? value, out TimeSpan duration)
    {
        duration = default;
        switch (value)
        {
            case null:
                return false;
            case TimeSpan ts:
                duration = ts;
                return ts >= TimeSpan.Zero;
            case int or long or short or byte or uint or ulong or double or float or decimal:
                double seconds = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsNaN(seconds) || seconds < 0 || seconds > TimeSpan.MaxValue.TotalSeconds)
                {
                    return false;
                }

                duration = TimeSpan.FromSeconds(seconds);
                return true;
            case string text:
                return TryParseString(text, out duration);
            default:
                return false;
        }
    }

    public static TimeSpan Parse(object? value, string parameterName)
    {
        if (TryParse(value, out TimeSpan duration))
        {
            return duration;
        }

        throw new ClydeException(
            ClydeErrorKind.InvalidArgument,
            "ClydeInvalidDuration",
            $"'{value}' is not a valid duration for -{parameterName}. Use a TimeSpan, a number of seconds, or a string such as 90s, 5m or 1h30m.",
            target: value);
    }

    private static bool TryParseString(string text, out TimeSpan duration)
    {
        duration = default;
        text = text.Trim();
        if (text.Length == 0)
        {
            return false;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds))
        {
            return TryParse(seconds, out duration);
        }

        if (text.Contains(':') && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration))
        {
            return duration >= TimeSpan.Zero;
        }

        Match match = UnitPattern().Match(text);
        if (!match.Success || match.Groups.Cast<Group>().Skip(1).All(g => !g.Success))
        {
            return false;
        }

        double Part(string name) => match.Groups[name].Success
            ? double.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture)
            : 0;

        duration = TimeSpan.FromHours(Part("h")) + TimeSpan.FromMinutes(Part("m"))
            + TimeSpan.FromSeconds(Part("s")) + TimeSpan.FromMilliseconds(Part("ms"));
        return true;
    }
}
