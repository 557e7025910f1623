using System.Text;
using System.Text.Json;

namespace ClydePS.Engine.Seeders;

/// <summary>What the tracker file held: the node names, or why it could not be read.</summary>
/// <param name="Names">The tracked node names, duplicates removed, in file order (empty when missing or corrupt).</param>
/// <param name="Exists">The file exists.</param>
/// <param name="Corruption">Why the content is not a JSON array of node names; null when it is (or the file is missing).</param>
public sealed record TrackerContent(IReadOnlyList<string> Names, bool Exists, string? Corruption)
{
    public bool IsCorrupt => Corruption is not null;
}

/// <summary>
/// The seeder tracker file, compatible with the original ClydeSeeder: a JSON array of node names. Writes are atomic
/// (<c>&lt;tracker&gt;.tmp</c>, flushed to disk, then renamed over the file) and made under <see cref="LockAsync"/>, an
/// exclusive lock on <c>&lt;tracker&gt;.lock</c> that works on Windows, macOS and Linux (a FileStream opened with
/// FileShare.None: a share-mode lock on Windows, <c>flock</c> on Unix, which is also what Python's filelock takes).
/// </summary>
public static class SeederTracker
{
    /// <summary>How long <see cref="LockAsync"/> waits for another process by default.</summary>
    public static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromSeconds(60);

    public static string LockPathOf(string trackerPath) => trackerPath + ".lock";

    public static string TempPathOf(string trackerPath) => trackerPath + ".tmp";

    /// <summary>Where a corrupt tracker's content is kept when it is rebuilt.</summary>
    public static string CorruptCopyPathOf(string trackerPath) => trackerPath + ".corrupt";

    /// <summary>
    /// Takes the tracker's lock, retrying with a short jittered delay while another process (or another handle in this
    /// process) holds it, for at most <paramref name="timeout"/>. Dispose the result to release it. The lock file stays
    /// (deleting it on release would let a third process lock a file that is no longer the one others open).
    /// </summary>
    /// <exception cref="ClydeException">Timeout (ClydeSeederTrackerLocked) when the lock stays held; Configuration
    /// (ClydeSeederTrackerUnwritable) when the lock file cannot be created at all.</exception>
    public static async Task<IDisposable> LockAsync(string trackerPath, TimeSpan timeout, TimeProvider? time, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(trackerPath);
        time ??= TimeProvider.System;
        string lockPath = LockPathOf(trackerPath);
        EnsureDirectory(trackerPath);
        long start = time.GetTimestamp();
        var random = new Random(Environment.ProcessId ^ Environment.CurrentManagedThreadId ^ (int)start);
        int attempt = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException and not PathTooLongException)
            {
                // Held by someone else (a sharing violation on Windows, EWOULDBLOCK from flock on Unix).
                if (time.GetElapsedTime(start) >= timeout)
                {
                    throw new ClydeException(ClydeErrorKind.Timeout, SeederErrorIds.TrackerLocked,
                        $"The seeder tracker '{trackerPath}' stayed locked by another process for {timeout.TotalSeconds:0.#} s " +
                        $"(lock file '{lockPath}'). Wait for the other Set-ClydeSeeder or Remove-ClydeSeeder to finish and try again.",
                        trackerPath, ex);
                }
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or DirectoryNotFoundException or PathTooLongException or NotSupportedException)
            {
                throw new ClydeException(ClydeErrorKind.Configuration, SeederErrorIds.TrackerUnwritable,
                    $"Cannot create the seeder tracker's lock file '{lockPath}': {ex.Message}", trackerPath, ex);
            }

            attempt++;
            int ms = Math.Min(250, 20 * attempt) + random.Next(0, 30);
            await Task.Delay(TimeSpan.FromMilliseconds(ms), time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the tracker. A missing file is an empty pool; anything but a JSON array of node names is corrupt.</summary>
    /// <exception cref="ClydeException">Configuration (ClydeSeederTrackerUnreadable) when the file exists but cannot be read.</exception>
    public static TrackerContent Read(string trackerPath)
    {
        string text;
        try
        {
            if (!File.Exists(trackerPath))
            {
                return new TrackerContent([], false, null);
            }

            text = File.ReadAllText(trackerPath, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ClydeException(ClydeErrorKind.Configuration, SeederErrorIds.TrackerUnreadable,
                $"Cannot read the seeder tracker '{trackerPath}': {ex.Message}", trackerPath, ex);
        }

        return Parse(text);
    }

    /// <summary>Parses tracker content (see <see cref="Read"/>).</summary>
    public static TrackerContent Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return new TrackerContent([], true, "the file is empty");
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                return new TrackerContent([], true, $"it holds a JSON {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an array of node names");
            }

            var names = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            int index = 0;
            foreach (JsonElement item in doc.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
                {
                    return new TrackerContent([], true, $"item {index} is not a node name");
                }

                string name = item.GetString()!.Trim();
                if (seen.Add(name))
                {
                    names.Add(name);
                }

                index++;
            }

            return new TrackerContent(names, true, null);
        }
        catch (JsonException ex)
        {
            return new TrackerContent([], true, "it is not valid JSON (" + ex.Message.Split('.')[0] + ")");
        }
    }

    /// <summary>The file's text for these names: a JSON array, as the original wrote it.</summary>
    public static string Format(IEnumerable<string> names) => JsonSerializer.Serialize(names.ToArray());

    /// <summary>
    /// Writes the tracker atomically: the content goes to <c>&lt;tracker&gt;.tmp</c>, is flushed to disk, then renamed
    /// over the tracker, so a reader sees the old file or the new one, never a part. Call it under <see cref="LockAsync"/>.
    /// </summary>
    /// <exception cref="ClydeException">Configuration (ClydeSeederTrackerUnwritable).</exception>
    public static void Write(string trackerPath, IEnumerable<string> names)
    {
        string temp = TempPathOf(trackerPath);
        try
        {
            EnsureDirectory(trackerPath);
            byte[] bytes = new UTF8Encoding(false).GetBytes(Format(names) + "\n");
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, trackerPath, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            TryDelete(temp);
            throw new ClydeException(ClydeErrorKind.Configuration, SeederErrorIds.TrackerUnwritable,
                $"Cannot write the seeder tracker '{trackerPath}': {ex.Message}", trackerPath, ex);
        }
    }

    /// <summary>Copies a corrupt tracker to <c>&lt;tracker&gt;.corrupt</c> before it is rebuilt; returns the copy's path, or null when copying failed.</summary>
    public static string? KeepCorruptCopy(string trackerPath)
    {
        string copy = CorruptCopyPathOf(trackerPath);
        try
        {
            File.Copy(trackerPath, copy, overwrite: true);
            return copy;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void EnsureDirectory(string trackerPath)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(trackerPath));
        if (!string.IsNullOrEmpty(dir) && !Directory.Exists(dir))
        {
            try
            {
                Directory.CreateDirectory(dir);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ClydeException(ClydeErrorKind.Configuration, SeederErrorIds.TrackerUnwritable,
                    $"Cannot create the seeder tracker's folder '{dir}': {ex.Message}", trackerPath, ex);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: the next write replaces it.
        }
    }
}
