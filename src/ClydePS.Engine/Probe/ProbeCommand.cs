using System.Globalization;
using System.Text;

namespace ClydePS.Engine.Probe;

/// <summary>What one probe pod does: Range GETs of <see cref="Url"/>, one every <see cref="Interval"/>, <see cref="Samples"/> times.</summary>
/// <param name="Url">The blob URL (through the registry mirror when one is in use).</param>
/// <param name="Interval">Time between sample starts; also curl's <c>--max-time</c>.</param>
/// <param name="SampleBytes">Bytes asked for per sample (<c>-r 0-(SampleBytes-1)</c>).</param>
/// <param name="Samples">How many samples the loop takes (Duration / Interval, rounded up).</param>
/// <param name="AuthFile">The mounted docker config of the pull secret, or null for anonymous access.</param>
public sealed record ProbeCommandSpec(string Url, TimeSpan Interval, long SampleBytes, int Samples, string? AuthFile)
{
    /// <summary>Samples x Interval.</summary>
    public TimeSpan Duration => Interval * Samples;

    /// <summary>curl's <c>--max-time</c> in seconds.</summary>
    public double MaxTimeSeconds => Interval.TotalSeconds;
}

/// <summary>
/// The probe pod's command, built and parsed here so the engine and the Lab agree on it (ARCHITECTURE.md
/// "Pods ClydePS runs for itself"). The command is <c>sh -c SCRIPT</c>: a header of one shell assignment per
/// line (<c>URL</c>, <c>INTERVAL</c>, <c>MAXTIME</c>, <c>RANGE</c>, <c>SAMPLES</c>, <c>AUTHFILE</c>), then a fixed
/// POSIX-sh body (<see cref="Body"/>) that follows the registry's auth challenge once and then runs, every
/// INTERVAL seconds, <c>curl -s -o /dev/null -r RANGE --max-time MAXTIME -w FORMAT URL</c>, printing one
/// <see cref="CurlWriteOut.Format"/> line per sample (a failed curl prints its write-out with code 000 too).
/// <see cref="TryParse"/> accepts exactly what <see cref="Build"/> produces: the header values and the body verbatim.
/// </summary>
public static class ProbeCommand
{
    /// <summary>Where the pull secret (<c>-ImagePullSecret</c>) is mounted in the probe pod.</summary>
    public const string SecretMountPath = "/var/run/clydeps/pull-secret";

    /// <summary>The docker config file inside the mounted pull secret.</summary>
    public const string SecretAuthFile = SecretMountPath + "/.dockerconfigjson";

    /// <summary>
    /// The loop. Auth: with no 401 nothing is sent; a Bearer challenge gets a token from its realm (with the
    /// secret's <c>auth</c> for the registry host as Basic credentials when AUTHFILE exists, else anonymously); a
    /// Basic challenge gets the secret's <c>auth</c>. A 401 sample later (expired token) repeats the challenge.
    /// The header goes through a curl config file (<c>-K</c>), so no credential appears in the process list.
    /// Sleep runs in the background while curl runs, so a sample starts every INTERVAL (curl is capped at it).
    /// </summary>
    public const string Body =
        """
        FMT='%{speed_download} %{http_code} %{size_download} %{time_total} %{time_starttransfer}\n'
        CFG=/tmp/clydeps-probe.$$.cfg
        TCFG=/tmp/clydeps-token.$$.cfg
        : > "$CFG"
        HOST=$(echo "$URL" | sed -e 's|^[a-z]*://||' -e 's|/.*$||')
        auth() {
          : > "$CFG"
          CRED=''
          if [ -n "$AUTHFILE" ] && [ -f "$AUTHFILE" ]; then
            CRED=$(tr -d ' \r\n\t' < "$AUTHFILE" | sed 's/}/}\n/g' | grep -F "$HOST" | sed -n 's/.*"auth":"\([^"]*\)".*/\1/p' | head -n 1)
            [ -z "$CRED" ] && CRED=$(tr -d ' \r\n\t' < "$AUTHFILE" | sed -n 's/.*"auth":"\([^"]*\)".*/\1/p' | head -n 1)
          fi
          CH=$(curl -s -o /dev/null -D - -r 0-0 --max-time 30 "$URL" | tr -d '\r' | grep -i '^www-authenticate:' | head -n 1)
          case "$CH" in
            *[Bb]earer*)
              REALM=$(echo "$CH" | sed -n 's/.*realm="\([^"]*\)".*/\1/p')
              SERVICE=$(echo "$CH" | sed -n 's/.*service="\([^"]*\)".*/\1/p')
              SCOPE=$(echo "$CH" | sed -n 's/.*scope="\([^"]*\)".*/\1/p')
              if [ -n "$CRED" ]; then
                printf 'header = "Authorization: Basic %s"\n' "$CRED" > "$TCFG"
              else
                : > "$TCFG"
              fi
              TOKEN=$(curl -s --max-time 30 -K "$TCFG" -G --data-urlencode "service=$SERVICE" --data-urlencode "scope=$SCOPE" "$REALM" | tr -d ' \r\n\t' | sed -n -e 's/.*"token":"\([^"]*\)".*/\1/p' -e 's/.*"access_token":"\([^"]*\)".*/\1/p' | head -n 1)
              rm -f "$TCFG"
              [ -n "$TOKEN" ] && printf 'header = "Authorization: Bearer %s"\n' "$TOKEN" > "$CFG" ;;
            *[Bb]asic*)
              [ -n "$CRED" ] && printf 'header = "Authorization: Basic %s"\n' "$CRED" > "$CFG" ;;
          esac
        }
        auth
        N=0
        while [ "$N" -lt "$SAMPLES" ]; do
          sleep "$INTERVAL" & S=$!
          LINE=$(curl -s -o /dev/null -K "$CFG" -r "$RANGE" --max-time "$MAXTIME" -w "$FMT" "$URL")
          echo "$LINE"
          case "$LINE" in *" 401 "*) auth ;; esac
          wait "$S"
          N=$((N+1))
        done
        rm -f "$CFG"
        exit 0
        """;

    /// <summary>The container command: <c>["sh", "-c", script]</c>.</summary>
    public static IReadOnlyList<string> Build(ProbeCommandSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!IsSafe(spec.Url) || spec.AuthFile is { } a && !IsSafe(a))
        {
            throw new ArgumentException("The probe URL and auth file may not contain quotes, backslashes or line breaks.", nameof(spec));
        }
        if (spec.Interval <= TimeSpan.Zero || spec.SampleBytes < 1 || spec.Samples < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(spec), "Interval, SampleBytes and Samples must be positive.");
        }
        var seconds = Seconds(spec.Interval);
        var sb = new StringBuilder();
        sb.Append("URL='").Append(spec.Url).Append("'\n");
        sb.Append("INTERVAL=").Append(seconds).Append('\n');
        sb.Append("MAXTIME=").Append(seconds).Append('\n');
        sb.Append("RANGE=0-").Append((spec.SampleBytes - 1).ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("SAMPLES=").Append(spec.Samples.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("AUTHFILE='").Append(spec.AuthFile ?? "").Append("'\n");
        sb.Append(Body.ReplaceLineEndings("\n")).Append('\n');
        return ["sh", "-c", sb.ToString()];
    }

    /// <summary>Recognises a probe command exactly as <see cref="Build"/> makes it; null for anything else.</summary>
    public static ProbeCommandSpec? TryParse(IReadOnlyList<string>? argv)
    {
        if (argv is not { Count: 3 } || argv[0] is not ("sh" or "/bin/sh") || argv[1] != "-c")
        {
            return null;
        }
        var lines = argv[2].Split('\n');
        if (lines.Length < 7 || argv[2] != string.Join('\n', lines.Take(6)) + "\n" + Body.ReplaceLineEndings("\n") + "\n")
        {
            return null;
        }
        string? Value(int i, string name) => lines[i].StartsWith(name + "=", StringComparison.Ordinal) ? lines[i][(name.Length + 1)..] : null;
        string? Quoted(string? v) => v is { Length: >= 2 } && v[0] == '\'' && v[^1] == '\'' && IsSafe(v[1..^1]) ? v[1..^1] : null;
        var url = Quoted(Value(0, "URL"));
        var interval = Value(1, "INTERVAL");
        var maxTime = Value(2, "MAXTIME");
        var range = Value(3, "RANGE");
        var samples = Value(4, "SAMPLES");
        var auth = Quoted(Value(5, "AUTHFILE"));
        if (url is null || auth is null || interval is null || maxTime != interval || range is null || !range.StartsWith("0-", StringComparison.Ordinal)
            || !double.TryParse(interval, NumberStyles.Float, CultureInfo.InvariantCulture, out var secs) || !(secs > 0)
            || !long.TryParse(range[2..], NumberStyles.None, CultureInfo.InvariantCulture, out var last)
            || !int.TryParse(samples, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1)
        {
            return null;
        }
        return new ProbeCommandSpec(url, TimeSpan.FromSeconds(secs), last + 1, count, auth.Length == 0 ? null : auth);
    }

    /// <summary>Samples per prober for a duration: Duration / Interval, rounded up.</summary>
    public static int SampleCount(TimeSpan duration, TimeSpan interval) => Math.Max(1, (int)Math.Ceiling(duration / interval - 1e-9));

    static string Seconds(TimeSpan t) => Math.Round(t.TotalSeconds, 3).ToString("0.###", CultureInfo.InvariantCulture);

    static bool IsSafe(string s) => s.IndexOfAny(['\'', '"', '\\', '\n', '\r', '`', '$']) < 0;
}
