using System.Globalization;

namespace ClydePS.Lab.Kubelet;

/// <summary>Go formatting kubelet messages use: time.Duration.String() and RFC3339Nano.</summary>
public static class GoFormat
{
    public static string Duration(TimeSpan d)
    {
        var ms = (long)Math.Floor(d.TotalMilliseconds);
        if (ms == 0) return "0s";
        if (ms < 1000) return $"{ms}ms";
        var totalSeconds = ms / 1000.0;
        var h = (long)(totalSeconds / 3600);
        var m = (long)(totalSeconds / 60) % 60;
        var s = totalSeconds - h * 3600 - m * 60;
        var sec = s.ToString("0.###", CultureInfo.InvariantCulture) + "s";
        if (h > 0) return $"{h}h{m}m{sec}";
        if (m > 0) return $"{m}m{sec}";
        return sec;
    }

    public static string Rfc3339Nano(DateTime t)
    {
        var frac = (t.Ticks % TimeSpan.TicksPerSecond).ToString("0000000", CultureInfo.InvariantCulture) + "00";
        frac = frac.TrimEnd('0');
        return t.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + (frac.Length > 0 ? "." + frac : "") + "Z";
    }
}
