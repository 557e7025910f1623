using System.Globalization;
using System.Text;

namespace ClydePS.Engine.Seeders;

/// <summary>
/// The original ClydeSeeder's log file format, for tools that read it: <c>yyyy-MM-dd HH:mm:ss,fff - &lt;logger&gt; - LEVEL - message</c>
/// (local time, as Python's logging writes it). Lines are appended; writes from several threads are serialised.
/// </summary>
public sealed class PrePullLog : IDisposable
{
    /// <summary>The logger name the original used.</summary>
    public const string DefaultLogger = "clyde-seeder";

    private readonly StreamWriter? writer;
    private readonly string logger;
    private readonly object gate = new();

    public PrePullLog(string? path, string logger = DefaultLogger)
    {
        this.logger = logger;
        if (path is null)
        {
            return;
        }
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(dir))
            {
                Directory.CreateDirectory(dir);
            }
            writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), new UTF8Encoding(false)) { AutoFlush = true };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new ClydeException(ClydeErrorKind.Configuration, SeederErrorIds.LogUnwritable, $"Cannot write the log file '{path}': {e.Message}", path, e);
        }
    }

    /// <summary>One line: <c>2024-05-01 12:00:00,123 - clyde-seeder - INFO - message</c>.</summary>
    public static string Format(DateTimeOffset time, string logger, string level, string message) =>
        time.ToString("yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture) + " - " + logger + " - " + level.ToUpperInvariant() + " - " +
        (message ?? "").Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    public void Write(string level, string message)
    {
        if (writer is null)
        {
            return;
        }
        var line = Format(DateTimeOffset.Now, logger, level, message);
        lock (gate)
        {
            writer.WriteLine(line);
        }
    }

    public void Info(string message) => Write("INFO", message);

    public void Warning(string message) => Write("WARNING", message);

    public void Error(string message) => Write("ERROR", message);

    public void Dispose()
    {
        lock (gate)
        {
            writer?.Dispose();
        }
    }
}
