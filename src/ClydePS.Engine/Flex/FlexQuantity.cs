using System.Globalization;
using System.Text.RegularExpressions;

namespace ClydePS.Engine.Flex;

/// <summary>
/// Kubernetes resource quantities (<c>100m</c>, <c>128Mi</c>, <c>1.5G</c>, <c>1e3</c>) as exact decimals, and the canonical
/// text the API server would store for a computed amount (so what the webhook patches is what <c>kubectl get</c> shows).
/// </summary>
public static partial class FlexQuantity
{
    [GeneratedRegex(@"^(?<num>[+-]?(\d+\.?\d*|\.\d+))(?<suf>[eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")]
    private static partial Regex Pattern();

    /// <summary>Parses a quantity; false when it is not one (or is out of range).</summary>
    public static bool TryParse(string? text, out decimal value)
    {
        value = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var m = Pattern().Match(text.Trim());
        if (!m.Success) return false;
        if (!decimal.TryParse(m.Groups["num"].Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
            return false;
        var suffix = m.Groups["suf"].Value;
        try
        {
            decimal factor = suffix switch
            {
                "" => 1m,
                "n" => 0.000000001m,
                "u" => 0.000001m,
                "m" => 0.001m,
                "k" => 1e3m,
                "M" => 1e6m,
                "G" => 1e9m,
                "T" => 1e12m,
                "P" => 1e15m,
                "E" => 1e18m,
                "Ki" => 1024m,
                "Mi" => 1048576m,
                "Gi" => 1073741824m,
                "Ti" => 1099511627776m,
                "Pi" => 1125899906842624m,
                "Ei" => 1152921504606846976m,
                _ => Exponent(suffix),
            };
            value = n * factor;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    static decimal Exponent(string suffix)
    {
        var e = int.Parse(suffix.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        if (e is > 28 or < -28) throw new OverflowException();
        var f = 1m;
        for (var i = 0; i < Math.Abs(e); i++) f = e > 0 ? f * 10 : f / 10;
        return f;
    }

    /// <summary>Parses a quantity or throws an InvalidArgument <see cref="ClydeException"/> naming <paramref name="what"/>.</summary>
    public static decimal Parse(string text, string what)
    {
        if (!TryParse(text, out var v) || v < 0)
            throw new ClydeException(ClydeErrorKind.InvalidArgument, FlexErrorIds.InvalidQuantity,
                $"{what} '{text}' is not a valid non-negative Kubernetes quantity (for example 100m, 0.5, 128Mi, 1Gi).", text);
        return v;
    }

    /// <summary>CPU in millicores, rounded up like the API server's MilliValue.</summary>
    public static long ToMillicores(decimal cores) => Clamp(decimal.Ceiling(cores * 1000m));

    /// <summary>Bytes, rounded up like the API server's Value.</summary>
    public static long ToBytes(decimal bytes) => Clamp(decimal.Ceiling(bytes));

    static long Clamp(decimal v) => v >= long.MaxValue ? long.MaxValue : v <= 0 ? 0 : (long)v;

    /// <summary>Canonical CPU text: whole cores as <c>4</c>, otherwise millicores <c>392m</c>.</summary>
    public static string FormatMillicores(long millicores) =>
        millicores % 1000 == 0 ? (millicores / 1000).ToString(CultureInfo.InvariantCulture) : millicores.ToString(CultureInfo.InvariantCulture) + "m";

    static readonly string[] Binary = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    static readonly string[] Decimal = ["k", "M", "G", "T", "P", "E"];

    /// <summary>
    /// Canonical byte text as the API server re-serializes it: the largest binary suffix that divides exactly
    /// (<c>128Mi</c>), else the largest decimal one (<c>2G</c>), else the plain integer (<c>1610612737</c>).
    /// </summary>
    public static string FormatBytes(long bytes)
    {
        if (bytes == 0) return "0";
        for (var i = Binary.Length - 1; i >= 0; i--)
        {
            var unit = 1L << (10 * (i + 1));
            if (bytes % unit == 0) return (bytes / unit).ToString(CultureInfo.InvariantCulture) + Binary[i];
        }
        for (var i = Decimal.Length - 1; i >= 0; i--)
        {
            var unit = (long)Math.Pow(1000, i + 1);
            if (bytes % unit == 0) return (bytes / unit).ToString(CultureInfo.InvariantCulture) + Decimal[i];
        }
        return bytes.ToString(CultureInfo.InvariantCulture);
    }
}
